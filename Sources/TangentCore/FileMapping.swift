import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole regular file mapped read-only (`mmap`, `MAP_SHARED`), unmapped when the object goes away.
///
/// Only the first `length` bytes (the file's size from `fstat` when it was opened) are ever read, so a file
/// shorter than its contents declare is reported by the size checks of the callers, never by SIGBUS. (A file
/// that another process truncates while it is mapped can still raise SIGBUS; Tangent replaces files by
/// renaming, which leaves existing mappings intact.)
final class FileMapping: @unchecked Sendable {
    /// The mapped bytes; empty for an empty file (which is not mapped at all).
    let bytes: UnsafeRawBufferPointer
    let source: String
    private let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Maps the file open as `fd` (of `length` bytes); `source` names it in errors.
    init(fd: Int32, length: Int, source: String) throws {
        self.source = source
        guard length > 0 else {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let address = mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw FileIO.failure(errno, "cannot map the file into memory", "mmap", source)
        }
        bytes = UnsafeRawBufferPointer(start: address, count: length)
    }

    /// Opens and maps the regular file at `url`; `.io` errors name it.
    convenience init(url: URL) throws {
        let (fd, size) = try FileMapping.openRegularFile(url)
        defer { _ = close(fd) }
        try self.init(fd: fd, length: size, source: url.path)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    /// Drops the pages covering `range` (byte offsets, widened to whole pages) from this process's resident
    /// set (`madvise(MADV_DONTNEED)`). The data stays in the file and the page cache; reading it again faults
    /// the pages back in.
    func release(_ range: Range<Int>) {
        guard let base = bytes.baseAddress, !range.isEmpty else { return }
        let start = max(0, range.lowerBound) / pageSize * pageSize
        let end = min(bytes.count, (min(bytes.count, range.upperBound) + pageSize - 1) / pageSize * pageSize)
        guard start < end else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + start), end - start, MADV_DONTNEED)
    }

    /// Opens `url` read-only and returns the descriptor and the file's size; refuses what is not a regular file.
    static func openRegularFile(_ url: URL) throws -> (fd: Int32, size: Int) {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.failure(errno, "cannot open the file for reading", "open", path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let error = FileIO.failure(errno, "cannot inspect the file", "fstat", path)
            _ = close(fd)
            throw error
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            _ = close(fd)
            throw NPYError(.io, "cannot read: the path is not a regular file (is it a directory?). Pass the path "
                           + "of a .npy or .npz file.", source: path)
        }
        return (fd, max(0, Int(info.st_size)))
    }

    /// Reads up to `count` bytes at `offset` of `fd` (`pread`, retried on partial reads and EINTR); fewer at
    /// end of file.
    static func pread(_ fd: Int32, offset: Int, count: Int, source: String) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { buffer in
                systemPread(fd, buffer.baseAddress! + done, count - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIO.failure(errno, "cannot read the file", "pread", source)
            }
            if n == 0 { break }
            done += n
        }
        out.removeLast(count - done)
        return out
    }

    private static func systemPread(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, _ offset: off_t) -> Int {
        #if canImport(Glibc)
        Glibc.pread(fd, buffer, count, offset)
        #elseif canImport(Musl)
        Musl.pread(fd, buffer, count, offset)
        #else
        Darwin.pread(fd, buffer, count, offset)
        #endif
    }
}
