import CZlib
import Foundation

/// The two zlib services the zip code needs: CRC-32 and raw DEFLATE decompression.
enum Zlib {
    /// The CRC-32 of `bytes` (zlib's `crc32`, fed in chunks that fit its 32-bit length argument). Pass the
    /// CRC of the bytes before them as `continuing` to checksum data that arrives in pieces.
    static func crc32(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = uLong(previous)
        var offset = 0
        while offset < bytes.count, let base = bytes.baseAddress {
            let length = min(bytes.count - offset, 1 << 30)
            crc = CZlib.crc32(crc, base.assumingMemoryBound(to: Bytef.self) + offset, uInt(length))
            offset += length
        }
        return UInt32(truncatingIfNeeded: crc)
    }

    enum InflateFailure: Error {
        /// The compressed stream is invalid; zlib's message.
        case corrupt(String)
        /// The stream ended before producing `expected` bytes.
        case tooShort(produced: Int)
        /// The stream produces more than `expected` bytes.
        case tooLong
    }

    /// Inflates the raw DEFLATE stream `input` (no zlib/gzip wrapper), which must produce exactly
    /// `expectedSize` bytes.
    static func inflateRaw(_ input: UnsafeRawBufferPointer, expectedSize: Int) throws(InflateFailure) -> Data {
        var output = Data(count: expectedSize)
        var stream = z_stream()
        guard inflateInit2_(&stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .corrupt("zlib could not initialize (out of memory?)")
        }
        defer { inflateEnd(&stream) }
        let chunk = Int(UInt32.max / 2)
        let spare = UnsafeMutablePointer<Bytef>.allocate(capacity: 1)
        defer { spare.deallocate() }
        let result: Result<Int, InflateFailure> = output.withUnsafeMutableBytes { out in
            var inOffset = 0
            var outOffset = 0
            while true {
                if stream.avail_in == 0, inOffset < input.count, let base = input.baseAddress {
                    let length = min(input.count - inOffset, chunk)
                    stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self) + inOffset)
                    stream.avail_in = uInt(length)
                    inOffset += length
                }
                if stream.avail_out == 0 {
                    if outOffset < out.count, let base = out.baseAddress {
                        let length = min(out.count - outOffset, chunk)
                        stream.next_out = base.assumingMemoryBound(to: Bytef.self) + outOffset
                        stream.avail_out = uInt(length)
                        outOffset += length
                    } else {
                        // All expected output produced: offer one spare byte so that excess output shows up.
                        stream.next_out = spare
                        stream.avail_out = 1
                        outOffset += 1
                    }
                }
                let status = inflate(&stream, Z_NO_FLUSH)
                let produced = Int(stream.total_out)
                switch status {
                case Z_STREAM_END:
                    return produced == out.count ? .success(produced) : .failure(.tooShort(produced: produced))
                case Z_OK:
                    if produced > out.count { return .failure(.tooLong) }
                case Z_BUF_ERROR:
                    if produced > out.count { return .failure(.tooLong) }
                    if stream.avail_in == 0 && inOffset >= input.count { return .failure(.tooShort(produced: produced)) }
                    return .failure(.corrupt("zlib made no progress"))
                default:
                    let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return .failure(.corrupt(message))
                }
            }
        }
        switch result {
        case .success: return output
        case .failure(let failure): throw failure
        }
    }
}
