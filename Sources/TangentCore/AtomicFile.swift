import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call, kept as the `cause` of an `NPYError` with code `.io`.
public struct SystemCallError: Error, Sendable, CustomStringConvertible {
    /// The call that failed, e.g. `"open"`.
    public let call: String
    /// The `errno` value.
    public let errno: Int32

    /// The operating system's explanation, e.g. `"No such file or directory"`.
    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { "\(call) failed: \(reason) (errno \(errno))" }
}

/// Whole-file reads, and atomic whole-file writes (temporary file in the same directory, fsync, rename).
/// Failures are `NPYError` `.io` naming the path and the operating system's reason.
enum FileIO {
    /// The whole file. A file larger than `cap` is refused with `.tooLarge` before anything is allocated (and
    /// reading stops with the same error if the file grows past the cap meanwhile).
    static func read(_ url: URL, cap: MemoryCap = MemoryCap(nil)) throws -> Data {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure(errno, "cannot open the file for reading", "open", path) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure(errno, "cannot inspect the file", "fstat", path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw NPYError(.io, "cannot read: the path is not a regular file (is it a directory?). Pass the path "
                           + "of a .npy or .npz file.", source: path)
        }
        let size = max(Int(info.st_size), 0)
        guard cap.allows(size) else {
            throw cap.error("the file is \(ByteCount.text(size, exact: true))", source: path)
        }
        // Read until end of file into a buffer sized from fstat, growing it if the file grew meanwhile.
        var data = Data(count: size + 1)
        var filled = 0
        while true {
            if filled == data.count {
                guard cap.allows(filled) else {
                    throw cap.error("the file grew to more than \(ByteCount.text(filled, exact: true)) while it was "
                                    + "read", source: path)
                }
                data.count += max(data.count, 65536)
            }
            let n = data.withUnsafeMutableBytes { buffer -> Int in
                guard let base = buffer.baseAddress else { return 0 }
                return systemRead(fd, base + filled, buffer.count - filled)
            }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(errno, "cannot read the file", "read", path)
            }
            filled += n
        }
        data.count = filled
        return data
    }

    /// Writes `data` to a new temporary file next to `url`, flushes it to disk, and renames it over `url`
    /// (replacing any existing file, whose permission bits are kept). On failure the temporary file is
    /// removed and `url` is untouched.
    static func writeAtomically(_ data: Data, to url: URL) throws {
        let path = url.path
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/." + url.lastPathComponent + ".tmp-" + UUID().uuidString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw failure(errno, "cannot create a temporary file in \(directory) (does the directory exist and is it "
                          + "writable?)", "open", path)
        }
        var committed = false
        var closed = false
        defer {
            if !closed { _ = close(fd) }
            if !committed { _ = unlink(temporary) }
        }
        var existing = stat()
        if stat(path, &existing) == 0, (existing.st_mode & S_IFMT) == S_IFREG {
            _ = fchmod(fd, existing.st_mode & 0o7777)
        }
        try data.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                guard let base = buffer.baseAddress else { break }
                let n = systemWrite(fd, base + written, buffer.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw failure(errno, "cannot write the file (is the disk full?)", "write", path)
                }
                written += n
            }
        }
        guard fsync(fd) == 0 else { throw failure(errno, "cannot flush the file to disk", "fsync", path) }
        closed = true
        guard close(fd) == 0 else { throw failure(errno, "cannot close the file", "close", path) }
        guard rename(temporary, path) == 0 else {
            throw failure(errno, "cannot move the temporary file into place", "rename", path)
        }
        committed = true
        // Make the rename itself durable; some file systems refuse to fsync directories, which is harmless.
        let dirFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dirFD >= 0 {
            _ = fsync(dirFD)
            _ = close(dirFD)
        }
    }

    /// `code` comes first so that `errno` is read before evaluating the other arguments.
    private static func failure(_ code: Int32, _ what: String, _ call: String, _ path: String,
                                fileID: String = #fileID, line: Int = #line) -> NPYError {
        let cause = SystemCallError(call: call, errno: code)
        return NPYError(.io, "\(what): \(cause.reason).", source: path, cause: cause, fileID: fileID, line: line)
    }

    private static func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    private static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.write(fd, buffer, count)
        #else
        Darwin.write(fd, buffer, count)
        #endif
    }
}
