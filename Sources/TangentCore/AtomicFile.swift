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
/// Whole-file reading for other modules: POSIX calls, errors naming the path and the system's reason (never
/// Foundation's text), and a cap (default: the memory available) checked before anything is allocated.
public enum FileContents {
    /// The bytes of the regular file at `url`; `.io` or `.tooLarge` `NPYError`s name it.
    public static func read(_ url: URL, maximumSize: Int? = nil) throws -> Data {
        try FileIO.read(url, cap: MemoryCap(maximumSize))
    }
}

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
        let file = try AtomicOutputFile(url: url)
        try file.write(data)
        try file.commit(sync: true)
    }

    /// `code` comes first so that `errno` is read before evaluating the other arguments.
    static func failure(_ code: Int32, _ what: String, _ call: String, _ path: String,
                        fileID: String = #fileID, line: Int = #line) -> NPYError {
        let cause = SystemCallError(call: call, errno: code)
        return NPYError(.io, "\(what): \(cause.reason).", source: path, cause: cause, fileID: fileID, line: line)
    }

    static func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        SystemIO.read(fd, buffer, count)
    }
}

/// The C library's `read` and `write`, which Foundation shadows with its own names (for the engine's POSIX file
/// handling, which reports errno instead of Foundation's error text).
public enum SystemIO {
    public static func read(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.read(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.read(fd, buffer, count)
        #else
        Darwin.read(fd, buffer, count)
        #endif
    }

    public static func write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        Glibc.write(fd, buffer, count)
        #elseif canImport(Musl)
        Musl.write(fd, buffer, count)
        #else
        Darwin.write(fd, buffer, count)
        #endif
    }
}
