import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// SHA-256 digests as 64 lowercase hexadecimal characters, from swift-crypto (BoringSSL's assembly on Linux,
/// CryptoKit on Apple platforms).
///
/// Named after `sha256sum`, whose output it matches; not `SHA256Digest`, which is a type of swift-crypto itself
/// and would be ambiguous in files that import both modules.
public enum SHA256Sum {
    /// The digest of `data`.
    public static func hex(of data: Data) -> String {
        var hasher = Hasher()
        hasher.update(data)
        return hasher.hexDigest()
    }

    /// The digest of the UTF-8 bytes of `string`.
    public static func hex(of string: String) -> String { hex(of: Data(string.utf8)) }

    /// The digest of the file at `url`, read in 1 MiB pieces through one reused buffer (the file is never
    /// loaded whole, so memory use does not depend on its size). Errors are `NPYError` `.io` naming the path
    /// and the operating system's reason (a missing file, a directory, a read failure).
    public static func hexOfFile(at url: URL) throws -> String {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.failure(errno, "cannot open the file to hash it", "open", path) }
        defer { _ = close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileIO.failure(errno, "cannot inspect the file", "fstat", path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw NPYError(.io, "cannot hash: the path is not a regular file (is it a directory?). Pass the path of "
                           + "a file.", source: path)
        }
        #if os(Linux)
        _ = posix_fadvise(fd, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        var hasher = Hasher()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let n = FileIO.systemRead(fd, buffer.baseAddress!, buffer.count)
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileIO.failure(errno, "cannot read the file to hash it", "read", path)
            }
            hasher.update(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
        return hasher.hexDigest()
    }

    /// The size of the pieces `hexOfFile` reads.
    public static let chunkSize = 1 << 20

    /// An incremental SHA-256 for data that arrives in pieces; `hexDigest()` may be asked at any point and
    /// does not end the hashing.
    public struct Hasher {
        private var state = Crypto.SHA256()

        public init() {}

        /// Adds `data`.
        public mutating func update(_ data: Data) { state.update(data: data) }
        /// Adds `bytes` (an array, a slice of one, ...): straight from their memory when it is contiguous,
        /// through a copy otherwise.
        public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
            let done: Void? = bytes.withContiguousStorageIfAvailable { state.update(bufferPointer: UnsafeRawBufferPointer($0)) }
            if done == nil { state.update(data: Array(bytes)) }
        }
        /// Adds the UTF-8 bytes of `string`.
        public mutating func update(_ string: String) { state.update(data: Data(string.utf8)) }
        /// Adds the bytes of `buffer` (internal: TangentCore keeps raw pointers out of its public API).
        mutating func update(_ buffer: UnsafeRawBufferPointer) { state.update(bufferPointer: buffer) }

        /// The digest of everything added so far, as 64 lowercase hexadecimal characters.
        public func hexDigest() -> String {
            let digest = state.finalize()
            let digits: [UInt8] = Array("0123456789abcdef".utf8)
            var text = [UInt8]()
            text.reserveCapacity(64)
            for byte in digest {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0F)])
            }
            return String(decoding: text, as: UTF8.self)
        }
    }
}
