import TangentCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The exclusive lock of a run folder: `flock` on its `.tangent-run` marker, held from before the first change
/// to the folder until the run ends (the system releases it when the process exits, however it exits).
///
/// The marker is never replaced (the lock belongs to its inode); the holder writes its process id into it in
/// place, so that a second run can say who holds the folder.
final class RunLock {
    private var fd: Int32
    let path: String

    private init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
    }

    /// Takes the lock of `folder`. When another process holds it: with `wait`, calls `waiting` once with a
    /// line to show and blocks until the lock is free; otherwise throws a `runFolder` error naming the holder.
    static func acquire(_ folder: RunFolder, wait: Bool, waiting: (String) -> Void) throws -> RunLock {
        try acquire(marker: folder.markerPath, folder: folder.root.path, what: "run folder", wait: wait, waiting: waiting)
    }

    /// Takes the lock on the marker file `path` of `folder` (a run folder, or a sweep folder: `what` names it).
    static func acquire(marker path: String, folder: String, what: String, wait: Bool,
                        waiting: (String) -> Void) throws -> RunLock {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw PipelineError(.io, "cannot open the \(what)'s marker \(path); check that you may write to "
                                + folder, cause: FileSystemError(call: "open", path: path, code: errno))
        }
        let lock = RunLock(fd: fd, path: path)
        if try !lock.tryLock(blocking: false) {
            let holder = lock.holder()
            let who = holder.map { "pid \($0)" } ?? "pid unknown"
            guard wait else {
                throw PipelineError(.runFolder, "\(what) \(folder) is in use by another tangent run (\(who)); "
                                    + "wait for it to finish (or pass --wait), or choose another folder with --out")
            }
            waiting("waiting for \(what) \(folder): in use by another tangent run (\(who))")
            _ = try lock.tryLock(blocking: true)
        }
        try lock.recordHolder()
        return lock
    }

    /// Whether some process holds the lock on the marker file `path` (a run in progress).
    static func isHeld(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 {
            _ = flock(fd, LOCK_UN)
            return false
        }
        return errno == EWOULDBLOCK
    }

    /// Releases the lock (idempotent).
    func release() {
        guard fd >= 0 else { return }
        _ = flock(fd, LOCK_UN)
        close(fd)
        fd = -1
    }

    deinit { release() }

    private func tryLock(blocking: Bool) throws -> Bool {
        while flock(fd, LOCK_EX | (blocking ? 0 : LOCK_NB)) != 0 {
            if errno == EINTR { continue }
            if errno == EWOULDBLOCK { return false }
            throw PipelineError(.io, "cannot lock the run folder's marker \(path)",
                                cause: FileSystemError(call: "flock", path: path, code: errno))
        }
        return true
    }

    /// The pid written by the process holding the lock. It writes it just after locking, so a reader that comes
    /// in between retries briefly.
    private func holder() -> Int32? {
        for _ in 0..<20 {
            var buffer = [UInt8](repeating: 0, count: 32)
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, $0.count, 0) }
            if n > 0, let line = String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first,
               let pid = Int32(line.trimmingCharacters(in: .whitespaces)), pid > 0 {
                return pid
            }
            usleep(25_000)
        }
        return nil
    }

    /// Writes this process's id over the marker's content in place (write first, then cut to length, so a
    /// reader never sees an empty file).
    private func recordHolder() throws {
        let bytes = Array("\(getpid())\n".utf8)
        let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, $0.count, 0) }
        guard n == bytes.count, ftruncate(fd, off_t(bytes.count)) == 0 else {
            throw PipelineError(.io, "cannot write to the run folder's marker \(path)",
                                cause: FileSystemError(call: "write", path: path, code: errno))
        }
    }
}
