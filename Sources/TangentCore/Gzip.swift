import CZlib
import Foundation

/// Decompression of gzip files (`.gz`, RFC 1952), such as MNIST's `train-images-idx3-ubyte.gz`.
///
/// Several gzip members one after another (what `cat a.gz b.gz` produces) decompress to the concatenation of
/// their contents, as `gunzip` does; zero bytes after the last member (tape padding) are ignored. Every member's
/// CRC-32 and length are checked by zlib. Errors are `NPYError` with code `.corruptArchive`, naming `source`,
/// and `.tooLarge` for output past the cap.
public enum Gzip {
    /// The decompressed contents of the gzip data `data`. `source` names the data in errors (a file path).
    ///
    /// - Parameter maximumSize: the most bytes the output may have (a guard against decompression bombs: gzip
    ///   records no reliable size, so inflating stops with `.tooLarge` as soon as the output passes the cap,
    ///   having allocated at most about twice the cap). nil (the default) means the memory available at the
    ///   time of the call (`Machine.availableMemoryBytes`).
    public static func decompress(_ data: Data, source: String, maximumSize: Int? = nil) throws -> Data {
        guard data.count >= 2, data[data.startIndex] == 0x1F, data[data.startIndex + 1] == 0x8B else {
            let found = data.prefix(2).map { String(format: "%02X", $0) }.joined(separator: " ")
            throw NPYError(.corruptArchive,
                           "not gzip data: expected the magic bytes 1F 8B at the start but found "
                           + (found.isEmpty ? "nothing (the file is empty)" : found)
                           + ". If the file is not compressed, remove the .gz suffix from its name.",
                           source: source)
        }
        let cap = MemoryCap(maximumSize)
        let result: Result<Data, GzipFailure> = data.withUnsafeBytes { input in inflateMembers(input, limit: cap.bytes) }
        switch result {
        case .success(let output): return output
        case .failure(let failure): throw failure.error(source: source, cap: cap)
        }
    }

    /// What went wrong, turned into an `NPYError` by `error(source:cap:)`.
    enum GzipFailure: Error {
        case initialization
        case corrupt(String)
        case truncated(produced: Int)
        case trailingGarbage(offset: Int)
        /// The output reached `produced` bytes, more than the limit.
        case tooLarge(produced: Int)

        func error(source: String, cap: MemoryCap) -> NPYError {
            switch self {
            case .initialization:
                NPYError(.corruptArchive, "zlib could not initialize a gzip decoder (out of memory?)", source: source)
            case .corrupt(let reason):
                NPYError(.corruptArchive, "corrupt gzip data: \(reason). The file is damaged; download or write it "
                         + "again.", source: source)
            case .truncated(let produced):
                NPYError(.corruptArchive, "truncated gzip data: the compressed stream ends early (after \(produced) "
                         + "decompressed bytes). The file was cut short; download or write it again.", source: source)
            case .trailingGarbage(let offset):
                NPYError(.corruptArchive, "unexpected bytes after the end of the gzip data (at offset \(offset)), "
                         + "neither another gzip member nor padding. The file is damaged.", source: source)
            case .tooLarge(let produced):
                cap.error("the gzip data decompresses to more than \(ByteCount.text(cap.bytes)) (inflating stopped "
                          + "after \(ByteCount.text(produced)) of output)", source: source)
            }
        }
    }

    /// Inflates gzip members from `input` until its end, or until the output passes `limit` bytes (checked
    /// after every 64 KiB of output, so at most `limit + 65536` bytes are ever produced).
    static func inflateMembers(_ input: UnsafeRawBufferPointer, limit: Int) -> Result<Data, GzipFailure> {
        guard let base = input.baseAddress else { return .failure(.truncated(produced: 0)) }
        var stream = z_stream()
        // windowBits 15 + 32: the largest window, and detect the gzip (or zlib) wrapper from the header.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            return .failure(.initialization)
        }
        defer { inflateEnd(&stream) }
        var output = Data()
        let chunkSize = 1 << 16
        var chunk = [UInt8](repeating: 0, count: chunkSize)
        var consumed = 0  // bytes of `input` handed to zlib so far
        let maxIn = Int(UInt32.max / 2)
        while true {
            // Feed the next piece of input when zlib has used up the last one (with none left, zlib may still
            // have output to give; it reports Z_BUF_ERROR once it needs input that does not exist).
            if stream.avail_in == 0, consumed < input.count {
                let length = min(input.count - consumed, maxIn)
                stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self) + consumed)
                stream.avail_in = uInt(length)
                consumed += length
            }
            let (status, produced) = chunk.withUnsafeMutableBufferPointer { buffer -> (Int32, Int) in
                guard let out = buffer.baseAddress else { return (Z_MEM_ERROR, 0) }
                stream.next_out = out
                stream.avail_out = uInt(buffer.count)
                let status = inflate(&stream, Z_NO_FLUSH)
                return (status, buffer.count - Int(stream.avail_out))
            }
            if produced > 0 {
                guard output.count <= limit - produced else { return .failure(.tooLarge(produced: output.count + produced)) }
                output.append(contentsOf: chunk[0..<produced])
            }
            switch status {
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress possible: zlib needs more input, and there is none left.
                if stream.avail_in == 0 && consumed >= input.count { return .failure(.truncated(produced: output.count)) }
                if produced == 0 { return .failure(.corrupt("zlib made no progress")) }
            case Z_STREAM_END:
                let next = consumed - Int(stream.avail_in)  // offset of the first byte after this member
                let rest = UnsafeRawBufferPointer(rebasing: input[next...])
                if rest.isEmpty || rest.allSatisfy({ $0 == 0 }) { return .success(output) }
                guard rest.count >= 2, rest[0] == 0x1F, rest[1] == 0x8B else {
                    return .failure(.trailingGarbage(offset: next))
                }
                guard inflateReset(&stream) == Z_OK else { return .failure(.initialization) }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                return .failure(.corrupt(message))
            }
        }
    }
}
