import TangentCore
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a pipeline file as UTF-8 text, or says exactly why it cannot: missing, a directory, not a regular file
/// (a FIFO or a device such as /dev/zero is refused from its `stat` before it is opened, so nothing blocks or reads
/// forever), larger than `YAMLLimits.maxFileBytes`, unreadable, or not UTF-8 text (the first bad byte, with its
/// line and column). Never shows Foundation's error text.
enum PipelineFile {
    static func text(at path: String) throws(PipelineError) -> String {
        func fail(_ code: Diagnostic.Code, _ message: String, _ remedy: String?) -> PipelineError {
            PipelineError.invalid([Diagnostic(code, message, at: nil, field: "", suggestion: remedy)])
        }
        var info = stat()
        guard stat(path, &info) == 0 else {
            let error = errno
            if error == ENOENT || error == ENOTDIR {
                throw fail(.fileNotFound, "no pipeline file at \(path)", "check the path")
            }
            throw fail(.unreadableFile, "cannot read pipeline file \(path): \(describe(error))", remedy(for: error))
        }
        if let kind = nonRegularKind(info.st_mode) {
            if kind == "a directory" {
                throw fail(.unreadableFile, "\(path) is a directory, not a pipeline file", "name a .yaml file")
            }
            throw fail(.unreadableFile, "\(path) is not a regular file (it is \(kind))",
                       "a pipeline file is read whole; copy it into a regular file")
        }
        if Int64(info.st_size) > Int64(YAMLLimits.maxFileBytes) {
            throw fail(.unreadableFile, tooLarge(path, Int64(info.st_size)), "a pipeline file is small: put data in a file and pass its path")
        }
        // O_NONBLOCK: should the path have become a FIFO since the stat, opening it must not wait for a writer.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let error = errno
            throw fail(.unreadableFile, "cannot read pipeline file \(path): \(describe(error))", remedy(for: error))
        }
        defer { close(fd) }
        var opened = stat()
        if fstat(fd, &opened) == 0, let kind = nonRegularKind(opened.st_mode) {
            throw fail(.unreadableFile, "\(path) is not a regular file (it is \(kind))",
                       "a pipeline file is read whole; copy it into a regular file")
        }
        // Read at most one byte more than the limit, whatever the size said.
        var bytes = [UInt8](repeating: 0, count: min(Int(max(info.st_size, 0)), YAMLLimits.maxFileBytes) + 1)
        var count = 0
        while true {
            if count == bytes.count {
                if count > YAMLLimits.maxFileBytes { break }
                bytes += [UInt8](repeating: 0, count: min(bytes.count, YAMLLimits.maxFileBytes + 1 - bytes.count))
            }
            let n = bytes.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                let error = errno
                if error == EINTR { continue }
                throw fail(.unreadableFile, "cannot read pipeline file \(path): \(describe(error))", remedy(for: error))
            }
            if n == 0 { break }
            count += n
        }
        if count > YAMLLimits.maxFileBytes {
            throw fail(.unreadableFile, tooLarge(path, Int64(count)), "a pipeline file is small: put data in a file and pass its path")
        }
        bytes.removeSubrange(count...)
        return try decode(bytes, file: path)
    }

    private static func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
        read(fd, buffer, count)
    }

    private static func tooLarge(_ path: String, _ size: Int64) -> String {
        let shown = size > Int64(YAMLLimits.maxFileBytes) + 1 ? "\(size.formatted) bytes" : "more than 16 MB"
        return "\(path) is too large for a pipeline file (\(shown); the limit is \(YAMLLimits.maxFileBytes >> 20) MB)"
    }

    private static func nonRegularKind(_ mode: mode_t) -> String? {
        switch Int(mode) & 0o170000 {
        case 0o100000: nil
        case 0o040000: "a directory"
        case 0o010000: "a FIFO"
        case 0o020000: "a character device"
        case 0o060000: "a block device"
        case 0o140000: "a socket"
        default: "not a regular file"
        }
    }

    private static func describe(_ error: Int32) -> String {
        switch error {
        case EACCES, EPERM: "permission denied"
        case ELOOP: "too many levels of symbolic links"
        case ENAMETOOLONG: "the path is too long"
        case EIO: "input/output error"
        case EISDIR: "it is a directory"
        default: String(cString: strerror(error))
        }
    }

    private static func remedy(for error: Int32) -> String? {
        error == EACCES || error == EPERM ? "check the file's permissions" : nil
    }

    /// UTF-8 text without a byte order mark other than UTF-8's (which is dropped), and without control bytes
    /// other than tab, line feed and carriage return.
    static func decode(_ bytes: [UInt8], file: String) throws(PipelineError) -> String {
        func fail(_ message: String, at offset: Int, _ remedy: String) -> PipelineError {
            let (line, column) = bytes.withUnsafeBufferPointer { TextPosition.lineAndColumn(of: offset, in: $0) }
            let where_ = offset == 0 && message.contains("byte order mark") ? "" : " at line \(line), column \(column)"
            return PipelineError.invalid([Diagnostic(.encoding, message.replacingOccurrences(of: "@", with: where_),
                                                     at: SourceLocation(file: file, line: line, column: column),
                                                     field: "", suggestion: remedy)])
        }
        let boms: [([UInt8], String)] = [([0x00, 0x00, 0xFE, 0xFF], "UTF-32 (big-endian)"),
                                         ([0xFF, 0xFE, 0x00, 0x00], "UTF-32 (little-endian)"),
                                         ([0xFE, 0xFF], "UTF-16 (big-endian)"), ([0xFF, 0xFE], "UTF-16 (little-endian)")]
        for (bom, name) in boms where bytes.starts(with: bom) {
            throw fail("the pipeline file is \(name) text with a byte order mark, not UTF-8",
                       at: 0, "convert it to UTF-8, e.g. `iconv -f \(name.hasPrefix("UTF-32") ? "UTF-32" : "UTF-16") -t UTF-8`")
        }
        let start = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var i = start
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 {
                if (b < 0x20 && b != 0x09 && b != 0x0A && b != 0x0D) || b == 0x7F {
                    throw fail("the pipeline file is not text (control byte 0x\(hex(Int(b), 2))@)", at: i,
                               b == 0 ? "is it UTF-16 without a byte order mark, or a binary file? Save it as UTF-8 text"
                                      : "remove the byte; in a quoted string write it as an escape")
                }
                i += 1
                continue
            }
            // The length of the sequence and the range of its second byte (Unicode table 3-7).
            let (length, low, high): (Int, UInt8, UInt8) = switch b {
            case 0xC2...0xDF: (2, 0x80, 0xBF)
            case 0xE0: (3, 0xA0, 0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (3, 0x80, 0xBF)
            case 0xED: (3, 0x80, 0x9F)
            case 0xF0: (4, 0x90, 0xBF)
            case 0xF1...0xF3: (4, 0x80, 0xBF)
            case 0xF4: (4, 0x80, 0x8F)
            default: (0, 0, 0)
            }
            var valid = length > 0 && i + length <= n
            if valid {
                valid = (low...high).contains(bytes[i + 1])
                for k in 2..<max(2, length) where valid { valid = bytes[i + k] & 0xC0 == 0x80 }
            }
            guard valid else {
                throw fail("the pipeline file is not UTF-8 text (invalid byte 0x\(hex(Int(b), 2))@)", at: i,
                           "save it as UTF-8 (from Latin-1: `iconv -f LATIN1 -t UTF-8`)")
            }
            i += length
        }
        return String(decoding: bytes[start...], as: UTF8.self)
    }
}
