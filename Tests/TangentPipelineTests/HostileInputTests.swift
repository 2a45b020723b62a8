import Foundation
import Testing
import TangentCore
@testable import TangentPipeline

/// One hostile input or fault (Tests/TangentPipelineTests/Hostile): a pipeline file whose leading comments say how to
/// prepare its folder and what the real `tangent` binary (with the test stages) must do:
///
///     # make: fifo x.npy            (a file to create; kinds below)
///     # env: TANGENT_MEMORY_LIMIT_MB=64
///     # command: run --out out      (default: validate)
///     # exit: 2
///     # stderr: text that must appear
///
/// Every case must finish within the timeout with the expected exit status and messages, and never print an
/// abort, a Foundation error or an allocation failure.
struct HostileCase: CustomTestStringConvertible, Sendable {
    let url: URL
    var testDescription: String { url.lastPathComponent }

    static var all: [HostileCase] {
        guard let folder = Bundle.module.url(forResource: "Hostile", withExtension: nil),
              let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else { return [] }
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { HostileCase(url: folder.appendingPathComponent($0)) }
    }

    func directives(_ tag: String) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n")
            .filter { $0.hasPrefix("# \(tag): ") }.map { String($0.dropFirst(tag.count + 4)) }
    }
}

/// Texts that mean the process crashed or leaked a raw system error.
let forbiddenOutput = ["Fatal error", "failed to allocate", "NSCocoaErrorDomain", "Error Domain=", "Illegal instruction",
                       "Segmentation fault", "Stack dump", "The operation could not be completed", "💣"]

@Suite("Hostile inputs and faults on the real binary", .serialized)
struct HostileInputTests {
    @Test("the corpus holds at least 20 cases")
    func count() { #expect(HostileCase.all.count >= 20) }

    @Test("each hostile input gets its exit status and message, in time, without an abort", arguments: HostileCase.all)
    func hostile(_ c: HostileCase) throws {
        let dir = try temporaryFolder("hostile")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent(c.url.lastPathComponent)
        try FileManager.default.copyItem(at: c.url, to: file)
        for make in try c.directives("make") { try Fixture.make(make, in: dir) }
        var environment = ProcessInfo.processInfo.environment
        for setting in try c.directives("env") {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            environment[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let command = try c.directives("command").first?.split(separator: " ").map(String.init) ?? ["validate"]
        let out = try CLI.run([command[0], file.lastPathComponent] + command.dropFirst(), in: dir,
                              environment: environment, timeout: 60)
        let expectedExit = try c.directives("exit").first.flatMap { Int32($0) } ?? 2
        #expect(!out.timedOut, "did not finish in time")
        #expect(out.status == expectedExit, "exit \(out.status)\n\(out.stderr)")
        for text in try c.directives("stderr") { #expect(out.stderr.contains(text), "missing `\(text)` in:\n\(out.stderr)") }
        for text in forbiddenOutput { #expect(!(out.stdout + out.stderr).contains(text), "\(text) in:\n\(out.stderr)") }
    }
}

/// Files the hostile cases prepare.
enum Fixture {
    static func make(_ directive: String, in dir: URL) throws {
        let parts = directive.split(separator: " ", maxSplits: 2).map(String.init)
        let path = dir.appendingPathComponent(parts[1]).path
        let argument = parts.count > 2 ? parts[2] : ""
        switch parts[0] {
        case "fifo": guard mkfifo(path, 0o644) == 0 else { throw Failure("mkfifo \(path)") }
        case "dir": try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        case "symlink-loop": guard symlink(path, path) == 0 else { throw Failure("symlink \(path)") }
        case "empty": try Data().write(to: URL(fileURLWithPath: path))
        case "npy": try NPY.write(try NPYArray((0..<8).map(Double.init), shape: [4, 2]), to: URL(fileURLWithPath: path))
        case "nan":
            try NPY.write(try NPYArray([0, 1, 2, .nan, 4, 5, 6, 7] as [Double], shape: [4, 2]), to: URL(fileURLWithPath: path))
        case "labels":
            let ids = argument.split(separator: ",").compactMap { Int64($0) }
            try NPY.write(try NPYArray(ids, shape: [ids.count]), to: URL(fileURLWithPath: path))
        case "npz-two":
            let a = try NPYArray((0..<8).map(Double.init), shape: [4, 2])
            try NPZ.write([("a", a), ("b", a)], to: URL(fileURLWithPath: path))
        case "latin1": try Data([0x31, 0x2C, 0x32, 0x0A, 0x33, 0x2C, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        case "npy-header":
            // A valid header claiming `argument` as the shape, followed by a few bytes of data.
            var header = "{'descr': '<f8', 'fortran_order': False, 'shape': \(argument), }"
            while (10 + header.utf8.count + 1) % 64 != 0 { header += " " }
            header += "\n"
            var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0,
                                  UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)]
            bytes += Array(header.utf8) + [UInt8](repeating: 0, count: 64)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        case "gzip-zeros":
            // An .npy of `argument` MB of float64 zeros, gzipped (a few hundred KB on disk).
            let megabytes = Int(argument) ?? 1
            let elements = megabytes * 1_048_576 / 8
            let header = NPY.encode(try NPYArray([Double](), shape: [0]))
            _ = header
            let shapeHeader = "{'descr': '<f8', 'fortran_order': False, 'shape': (\(elements / 2), 2), }"
            var padded = shapeHeader
            while (10 + padded.utf8.count + 1) % 64 != 0 { padded += " " }
            padded += "\n"
            let preamble = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, padded.utf8.count & 0xFF, padded.utf8.count >> 8]
                .map { String(format: "\\%03o", $0) }.joined() + padded.replacingOccurrences(of: "'", with: "'\\''")
            let script = "(printf '\(preamble)'; head -c \(elements * 8) /dev/zero) | gzip -1 > '\(path)'"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", script]
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw Failure("gzip fixture") }
        case "npz-declared":
            // A zip with one small STORED member whose central directory declares `argument` MB uncompressed.
            let member = NPY.encode(try NPYArray((0..<8).map(Double.init), shape: [4, 2]))
            let declared = UInt32(min((Int(argument) ?? 1) * 1_048_576, Int(UInt32.max)))
            let name = Array("x.npy".utf8)
            func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
            func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xFF) } }
            var zip: [UInt8] = le32(0x0403_4B50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
                + le32(UInt32(member.count)) + le32(declared) + le16(name.count) + le16(0) + name + [UInt8](member)
            let central = zip.count
            zip += le32(0x0201_4B50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
                + le32(UInt32(member.count)) + le32(declared) + le16(name.count) + le16(0) + le16(0) + le16(0)
                + le16(0) + le32(0) + le32(0) + name
            let centralSize = zip.count - central
            zip += le32(0x0605_4B50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(UInt32(centralSize))
                + le32(UInt32(central)) + le16(0)
            try Data(zip).write(to: URL(fileURLWithPath: path))
        default: throw Failure("unknown fixture kind `\(parts[0])`")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }
}
