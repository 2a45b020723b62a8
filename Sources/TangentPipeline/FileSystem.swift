import Foundation
import TangentCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A failed system call on a path, with the operating system's reason (from `errno`).
struct FileSystemError: Error, Sendable, CustomStringConvertible {
    let call: String
    let path: String
    let code: Int32

    var reason: String { String(cString: strerror(code)) }
    var description: String { "\(call) \(path): \(reason) (errno \(code))" }
}

/// The few file operations of the run folder, as plain POSIX calls so that every failure carries the call, the
/// path and the system's reason (and never follows a symbolic link when removing).
enum FileSystem {
    enum Kind: Equatable { case missing, directory, file, other }

    /// What is at `path`: a symbolic link is `other` unless `followingLinks`.
    static func kind(_ path: String, followingLinks: Bool = false) -> Kind {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return .missing }
        switch info.st_mode & S_IFMT {
        case S_IFDIR: return .directory
        case S_IFREG: return .file
        default: return .other
        }
    }

    /// Size and modification time (nanoseconds since the epoch) of a regular file.
    static func status(_ path: String) throws -> (size: Int, mtime: Int) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw FileSystemError(call: "stat", path: path, code: errno) }
        #if canImport(Darwin)
        let time = info.st_mtimespec
        #else
        let time = info.st_mtim
        #endif
        return (Int(info.st_size), Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec))
    }

    /// Creates `path` and its missing parents (any of which may be a link to a directory).
    static func makeDirectories(_ path: String) throws {
        if kind(path, followingLinks: true) == .directory { return }
        let parent = (path as NSString).deletingLastPathComponent
        if !parent.isEmpty, parent != path { try makeDirectories(parent) }
        guard mkdir(path, 0o755) != 0 else { return }
        let code = errno
        if code != EEXIST || kind(path, followingLinks: true) != .directory {
            throw FileSystemError(call: "mkdir", path: path, code: code)
        }
    }

    /// Creates the directory `path`; fails if anything exists there.
    static func makeDirectory(_ path: String) throws {
        guard mkdir(path, 0o755) == 0 else { throw FileSystemError(call: "mkdir", path: path, code: errno) }
    }

    /// The names in a directory, without `.` and `..`, sorted.
    static func entries(_ path: String) throws -> [String] {
        guard let dir = opendir(path) else { throw FileSystemError(call: "opendir", path: path, code: errno) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != ".", name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Every regular file under `path`, as paths relative to it (`sub/file`), sorted; links are not followed.
    static func regularFiles(under path: String, prefix: String = "") throws -> [String] {
        var files: [String] = []
        for name in try entries(path) {
            switch kind(path + "/" + name) {
            case .file: files.append(prefix + name)
            case .directory: files += try regularFiles(under: path + "/" + name, prefix: prefix + name + "/")
            default: break
            }
        }
        return files.sorted()
    }

    /// Removes `path` and, for a directory, everything in it (symbolic links are removed, not followed).
    static func removeTree(_ path: String) throws {
        switch kind(path) {
        case .missing: return
        case .directory:
            for name in try entries(path) { try removeTree(path + "/" + name) }
            guard rmdir(path) == 0 || errno == ENOENT else { throw FileSystemError(call: "rmdir", path: path, code: errno) }
        default:
            guard unlink(path) == 0 || errno == ENOENT else { throw FileSystemError(call: "unlink", path: path, code: errno) }
        }
    }

    static func rename(_ from: String, to: String) throws {
        #if canImport(Glibc)
        let result = Glibc.rename(from, to)
        #elseif canImport(Musl)
        let result = Musl.rename(from, to)
        #else
        let result = Darwin.rename(from, to)
        #endif
        guard result == 0 else { throw FileSystemError(call: "rename", path: "\(from) → \(to)", code: errno) }
    }

    /// Renames the folder `source` to `destination`; a folder already there is first renamed to `aside` and
    /// removed after, so `destination` always holds one whole folder. (The caller checked that it may replace it.)
    static func moveReplacing(_ source: String, to destination: String, aside: String) throws {
        guard kind(destination) != .missing else { return try rename(source, to: destination) }
        try rename(destination, to: aside)
        try rename(source, to: destination)
        try? removeTree(aside)
    }

    static func remove(_ path: String) throws {
        guard unlink(path) == 0 || errno == ENOENT else { throw FileSystemError(call: "unlink", path: path, code: errno) }
    }

    /// Creates (or truncates) a small file with `text`, not atomically: for marker files whose presence matters.
    static func writeSmallFile(_ path: String, _ text: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError(call: "open", path: path, code: errno) }
        defer { close(fd) }
        try writeAll(fd, Array(text.utf8), path: path)
    }

    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { buffer in
                systemWrite(fd, buffer.baseAddress! + written, buffer.count - written)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(call: "write", path: path, code: errno)
            }
            written += n
        }
    }

    /// Reads a whole (small) file, or nil when it cannot be read.
    static func readSmallFile(_ path: String) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress!, $0.count) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            data += chunk[0..<n]
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        SystemIO.read(fd, buffer, count)
    }

    static func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
        SystemIO.write(fd, buffer, count)
    }
}
