import Foundation

/// What a `path` parameter must be: an existing, readable regular file. FIFOs, devices, sockets and directories are
/// refused at validation (reading a FIFO or /dev/zero would hang or never end).
enum InputFileCheck {
    /// What is wrong with `path` and what to do, or nil when it is a readable regular file.
    static func problem(_ path: String) -> (message: String, remedy: String)? {
        guard let message = message(path) else { return nil }
        let remedy = message.hasPrefix("no file") ? "relative paths start at the pipeline file's folder"
            : "give the path of a regular file (copy a stream to a file first)"
        return (message, remedy)
    }

    private static func message(_ path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? "no file at \(path)"
                : "cannot inspect \(path): \(String(cString: strerror(errno)))"
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return "\(path) is a directory, not a file"
        case S_IFIFO: return "\(path) is a named pipe (FIFO), not a regular file"
        case S_IFCHR, S_IFBLK: return "\(path) is a device, not a regular file"
        case S_IFSOCK: return "\(path) is a socket, not a regular file"
        default: return "\(path) is not a regular file"
        }
        guard access(path, R_OK) == 0 else { return "\(path) is not readable (permission denied)" }
        return nil
    }
}
