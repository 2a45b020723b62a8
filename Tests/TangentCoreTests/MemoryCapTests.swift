import CZlib
import Foundation
import Testing
@testable import TangentCore

/// Streams `count` zero bytes through zlib's deflate (1 MiB of input at a time, never holding them all):
/// `gzip: true` writes a gzip member, otherwise a raw DEFLATE stream (as zip members hold). `prefix` bytes
/// come first (e.g. a .npy header). Returns the compressed bytes and their CRC-32.
func compressedZeros(_ count: Int, prefix: [UInt8] = [], gzip: Bool) -> (data: Data, crc: UInt32) {
    var stream = z_stream()
    let status = deflateInit2_(&stream, 9, Z_DEFLATED, gzip ? 31 : -15, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                               Int32(MemoryLayout<z_stream>.size))
    precondition(status == Z_OK)
    defer { deflateEnd(&stream) }
    let zeros = [UInt8](repeating: 0, count: 1 << 20)
    var output = Data()
    var out = [UInt8](repeating: 0, count: 1 << 16)
    var crc = prefix.withUnsafeBytes { Zlib.crc32($0) }
    func feed(_ input: [UInt8], _ length: Int, finish: Bool) {
        input.withUnsafeBufferPointer { buffer in
            stream.next_in = UnsafeMutablePointer(mutating: buffer.baseAddress)
            stream.avail_in = uInt(length)
            repeat {
                out.withUnsafeMutableBufferPointer { o in
                    stream.next_out = o.baseAddress
                    stream.avail_out = uInt(o.count)
                    _ = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
                    output.append(o.baseAddress!, count: o.count - Int(stream.avail_out))
                }
            } while stream.avail_out == 0
        }
    }
    feed(prefix, prefix.count, finish: false)
    var left = count
    while left > 0 {
        let length = min(left, zeros.count)
        feed(zeros, length, finish: false)
        crc = zeros.withUnsafeBytes { Zlib.crc32(UnsafeRawBufferPointer(rebasing: $0[0..<length]), continuing: crc) }
        left -= length
    }
    feed([], 0, finish: true)
    return (output, crc)
}

/// A zip archive with one DEFLATE member `name` holding `compressed`, which declares `size` bytes when
/// inflated (whatever it really inflates to) and CRC-32 `crc`.
func deflateArchive(name: String, compressed: Data, size: UInt32, crc: UInt32) -> Data {
    let nameBytes = Array(name.utf8)
    var out = Data()
    func local() {
        out.appendLE(ZipArchive.localHeaderSignature); out.appendLE(20 as UInt16); out.appendLE(0 as UInt16)
        out.appendLE(8 as UInt16); out.appendLE(0 as UInt16); out.appendLE(ZipArchive.dosDate1980)
        out.appendLE(crc); out.appendLE(UInt32(compressed.count)); out.appendLE(size)
        out.appendLE(UInt16(nameBytes.count)); out.appendLE(0 as UInt16); out.append(contentsOf: nameBytes)
    }
    local()
    out.append(compressed)
    let directoryOffset = out.count
    out.appendLE(ZipArchive.centralHeaderSignature); out.appendLE(20 as UInt16); out.appendLE(20 as UInt16)
    out.appendLE(0 as UInt16); out.appendLE(8 as UInt16); out.appendLE(0 as UInt16); out.appendLE(ZipArchive.dosDate1980)
    out.appendLE(crc); out.appendLE(UInt32(compressed.count)); out.appendLE(size)
    out.appendLE(UInt16(nameBytes.count)); out.appendLE(0 as UInt16); out.appendLE(0 as UInt16)
    out.appendLE(0 as UInt16); out.appendLE(0 as UInt16); out.appendLE(0 as UInt32); out.appendLE(0 as UInt32)
    out.append(contentsOf: nameBytes)
    let directorySize = out.count - directoryOffset
    out.appendLE(ZipArchive.endSignature); out.appendLE(0 as UInt16); out.appendLE(0 as UInt16)
    out.appendLE(1 as UInt16); out.appendLE(1 as UInt16); out.appendLE(UInt32(directorySize))
    out.appendLE(UInt32(directoryOffset)); out.appendLE(0 as UInt16)
    return out
}

@Suite("Memory caps on reading") struct MemoryCapTests {
    // MARK: available memory

    @Test func meminfoAndCgroupFilesAreParsed() throws {
        let meminfo = "MemTotal:       24000000 kB\nMemFree:  1000 kB\nMemAvailable:   23730752 kB\nBuffers: 1 kB\n"
        #expect(MemoryInfo.memAvailable(meminfo: meminfo) == 23_730_752 * 1024)
        #expect(MemoryInfo.memAvailable(meminfo: "MemTotal: 1 kB\n") == nil)

        let hybrid = "9:name=systemd:/\n4:memory:/process_api/abc\n1:cpu:/\n0::/\n"
        #expect(MemoryInfo.cgroupPaths(procSelfCgroup: hybrid).v2 == "/")
        #expect(MemoryInfo.cgroupPaths(procSelfCgroup: hybrid).v1Memory == "/process_api/abc")
        #expect(MemoryInfo.cgroupPaths(procSelfCgroup: "0::/user.slice/x.scope\n").v1Memory == nil)
        #expect(MemoryInfo.cgroupPaths(procSelfCgroup: "5:cpu,memory:/a\n").v1Memory == "/a")

        #expect(MemoryInfo.headroom(limit: "max\n", usage: "100", stat: nil, inactiveKey: "inactive_file") == nil)
        #expect(MemoryInfo.headroom(limit: "9223372036854771712\n", usage: "5", stat: nil, inactiveKey: "x") == nil)
        #expect(MemoryInfo.headroom(limit: "1000\n", usage: "700\n", stat: "active_file 50\ninactive_file 200\n",
                                    inactiveKey: "inactive_file") == 500)
        #expect(MemoryInfo.headroom(limit: "1000", usage: "1500", stat: nil, inactiveKey: "inactive_file") == 0)

        #expect(MemoryInfo.limit(environment: "64") == 64 << 20)
        #expect(MemoryInfo.limit(environment: "0.5") == 1 << 19)
        for ignored in [nil, "", "0", "-3", "lots", "inf", "nan"] { #expect(MemoryInfo.limit(environment: ignored) == nil) }
    }

    @Test func cgroupLimitsLowerTheAvailableMemory() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: false, encoding: .utf8)
        }
        // cgroup v2: the parent's limit is the tighter one.
        try write("cgroup.controllers", "memory\n")
        try write("jobs/memory.max", "max\n")
        try write("jobs/memory.current", "0\n")
        try write("jobs/task/memory.max", "8000000000\n")
        try write("jobs/task/memory.current", "1000000000\n")
        try write("jobs/task/memory.stat", "anon 1\ninactive_file 500000000\n")
        try write("memory.max", "4000000000\n")
        try write("memory.current", "3000000000\n")
        #expect(MemoryInfo.cgroupHeadroom(procSelfCgroup: "0::/jobs/task\n", root: root.path) == 1_000_000_000)
        // cgroup v1 under <root>/memory.
        try write("memory/grp/memory.limit_in_bytes", "2000000000\n")
        try write("memory/grp/memory.usage_in_bytes", "500000000\n")
        try write("memory/grp/memory.stat", "total_inactive_file 100000000\n")
        #expect(MemoryInfo.cgroupHeadroom(procSelfCgroup: "4:memory:/grp\n", root: root.path) == 1_600_000_000)
        // A path that does not resolve (a cgroup namespace) falls back to the mount's own files.
        #expect(MemoryInfo.cgroupHeadroom(procSelfCgroup: "0::/elsewhere\n", root: root.path) == 1_000_000_000)
        #expect(MemoryInfo.cgroupHeadroom(procSelfCgroup: "", root: root.path) == nil)
    }

    @Test func availableMemoryIsPositiveAndAtMostMemAvailable() throws {
        let available = Machine.availableMemoryBytes
        #expect(available > 0)
        if let text = MemoryInfo.readText("/proc/meminfo"), let system = MemoryInfo.memAvailable(meminfo: text) {
            #expect(available <= system + (256 << 20)) // MemAvailable moves between the two reads
        }
        #expect(Machine.residentBytes > 0)
        #expect(MemoryCap(nil).isAvailableMemory && !MemoryCap(5).isAvailableMemory)
        #expect(MemoryCap(-3).bytes == 0)
    }

    @Test func byteCountsReadNaturally() {
        #expect(ByteCount.text(0) == "0 bytes")
        #expect(ByteCount.text(1) == "1 byte")
        #expect(ByteCount.text(999) == "999 bytes")
        #expect(ByteCount.text(1000) == "1.0 KB")
        #expect(ByteCount.text(1_048_576) == "1.0 MB")
        #expect(ByteCount.text(2_147_483_648) == "2.1 GB")
        #expect(ByteCount.text(3_900_000_000, exact: true) == "3.9 GB (3900000000 bytes)")
        #expect(ByteCount.text(999_960_000) == "1.0 GB")
        #expect(ByteCount.text(Int.max).hasSuffix("EB"))
    }

    // MARK: gzip

    @Test func aGzipBombStopsAtTheCapWithoutInflatingFurther() throws {
        // 64 MiB of zeros compress to about 64 KB; the cap is 1 MiB.
        let cap = 1 << 20
        let (bomb, _) = compressedZeros(64 << 20, gzip: true)
        #expect(bomb.count < 200_000)
        let error = try #require(npyError { _ = try Gzip.decompress(bomb, source: "bomb.gz", maximumSize: cap) })
        #expect(error.code == .tooLarge)
        #expect(error.source == "bomb.gz")
        #expect(error.message.hasPrefix("the gzip data decompresses to more than 1.0 MB (inflating stopped after 1.1 MB "
                                        + "of output), more than the limit of 1.0 MB given (maximumSize); raise maximumSize"))
        // Inflating stopped within one 64 KiB chunk of the cap: no large allocation happened.
        let stopped = bomb.withUnsafeBytes { Gzip.inflateMembers($0, limit: cap) }
        guard case .failure(.tooLarge(let produced)) = stopped else {
            Issue.record("expected tooLarge, got \(stopped)")
            return
        }
        #expect(produced > cap && produced <= cap + 65536)
        // Under the default cap (the memory available) the same data decompresses.
        #expect(try Gzip.decompress(bomb, source: "bomb.gz").count == 64 << 20)
        #expect(try Gzip.decompress(bomb, source: "bomb.gz", maximumSize: 64 << 20).count == 64 << 20)
    }

    // MARK: zip members

    @Test func aDeflateMemberLargerThanTheCapIsRefusedBeforeInflating() throws {
        // A real bomb: a .npy of 4 Mi float64 zeros (32 MiB) in about 32 KB.
        let count = 4 << 20
        let header = NPYHeader.encode(dtype: .float64, shape: [count])
        let (compressed, crc) = compressedZeros(count * 8, prefix: header, gzip: false)
        let size = UInt32(header.count + count * 8)
        let bomb = deflateArchive(name: "k.npy", compressed: compressed, size: size, crc: crc)
        let error = try #require(npyError { _ = try NPZ.decode(bomb, source: "b.npz", maximumSize: 1 << 20) })
        #expect(error.code == .tooLarge)
        #expect(error.source == "b.npz:k.npy")
        #expect(error.message.hasPrefix("member 'k.npy' decompresses to 33.6 MB (33554560 bytes), more than the limit "
                                        + "of 1.0 MB given (maximumSize)"))
        #expect(try NPZ.decode(bomb, source: "b.npz")["k"]?.storage.count == count)

        // A member claiming 4 GB from junk data: refused on its recorded size alone (inflating the junk would
        // have been .corruptArchive), so nothing of that size is ever allocated.
        let junk = Data(repeating: 0xA5, count: 4_000_000_000 / 1032 + 1)
        let claim = deflateArchive(name: "big.npy", compressed: junk, size: 4_000_000_000, crc: 0)
        for read in [{ _ = try NPZ.decode(claim, source: "c.npz", maximumSize: 2_000_000_000) },
                     { _ = try NPZ.decodeOrdered(claim, source: "c.npz", maximumSize: 2_000_000_000) }] {
            let refused = try #require(npyError(read))
            #expect(refused.code == .tooLarge)
            #expect(refused.message.hasPrefix("member 'big.npy' decompresses to 4.0 GB (4000000000 bytes), more than "
                                              + "the limit of 2.0 GB given"))
        }
    }

    @Test func storedMembersAndTheirTotalAreCapped() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("a.npz")
        let a = try NPYArray([Double](repeating: 1, count: 1000), shape: [1000])
        try NPZ.write([("a", a), ("b", a)], to: url)
        let data = try Data(contentsOf: url)
        // Each member (8128 bytes) fits 10 000 bytes; both together do not.
        let total = try #require(npyError { _ = try NPZ.decode(data, source: "m.npz", maximumSize: 10_000) })
        #expect(total.code == .tooLarge)
        #expect(total.source == "m.npz")
        #expect(total.message.hasPrefix("the archive's 2 arrays hold 16.3 KB (16256 bytes) together, more than the "
                                        + "limit of 10.0 KB given"))
        #expect(try NPZ.decode(data, source: "m.npz", maximumSize: 16256).count == 2)
        let single = try NPZ.encode([("a", a)])
        let member = try #require(npyError { _ = try NPZ.decode(single, source: "s.npz", maximumSize: 8000) })
        #expect(member.code == .tooLarge)
        #expect(member.source == "s.npz:a.npy")
        #expect(member.message.hasPrefix("member 'a.npy' holds 8.1 KB (8128 bytes)"))
        // Reading from the file checks the file's size first.
        let file = try #require(npyError { _ = try NPZ.read(member: "a", contentsOf: url, maximumSize: 8000) })
        #expect(file.code == .tooLarge)
        #expect(file.source == url.path)
        #expect(file.message.hasPrefix("the file is 16.5 KB (\(data.count) bytes)"))
        #expect(try NPZ.read(member: "a", contentsOf: url, maximumSize: data.count) == a)
    }

    // MARK: whole files

    @Test func wholeFileReadsRefuseFilesLargerThanTheCap() throws {
        let url = try Fixture.url("f8_3x4.npy") // 224 bytes
        let error = try #require(npyError { _ = try NPY.read(contentsOf: url, maximumSize: 100) })
        #expect(error.code == .tooLarge)
        #expect(error.source == url.path)
        #expect(error.message.hasPrefix("the file is 224 bytes, more than the limit of 100 bytes given (maximumSize)"))
        #expect(try NPY.read(contentsOf: url, maximumSize: 224) == (try Expected.array("f8", [3, 4])))
        #expect(npyError { _ = try NPZ.read(contentsOf: try Fixture.url("savez.npz"), maximumSize: 100) }?.code == .tooLarge)
        #expect(npyError { _ = try NPZ.readOrdered(contentsOf: try Fixture.url("savez.npz"), maximumSize: 100) }?.code == .tooLarge)
        // The default cap is the memory available, so the message says so.
        let cap = MemoryCap(nil)
        let text = cap.error("x is 1 byte", source: "s").message
        #expect(text.contains("of memory available; free memory or use a machine with more"))
    }
}
