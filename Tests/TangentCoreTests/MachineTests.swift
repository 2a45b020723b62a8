import Foundation
import Testing
import TangentCore

@Suite("Machine: process utilities")
struct MachineTests {
    @Test("wallSeconds is monotonic and measures a sleep")
    func wallClock() {
        let t0 = Machine.wallSeconds()
        Thread.sleep(forTimeInterval: 0.05)
        let t1 = Machine.wallSeconds()
        #expect(t1 - t0 >= 0.049)
        #expect(t1 - t0 < 5)
        #expect(Machine.wallSeconds() >= t1)
    }

    @Test("peakResidentBytes lies between two reads of VmHWM in /proc/self/status")
    func peakMemory() throws {
        func hwmBytes() throws -> Int {
            let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
            let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") })
            return try #require(line.split(separator: " ").dropFirst().first.flatMap { Int($0) }) * 1024
        }
        let before = try hwmBytes()
        let peak = Machine.peakResidentBytes
        let after = try hwmBytes()
        #expect(before > 0)
        #expect(before <= peak && peak <= after, "VmHWM \(before) then \(after), peakResidentBytes \(peak)")
    }

    @Test("retainFreedMemory's three mallopt settings are accepted")
    func retainFreedMemory() {
        #if os(Linux)
        #expect(Machine.retainFreedMemory())
        #endif
    }
}
