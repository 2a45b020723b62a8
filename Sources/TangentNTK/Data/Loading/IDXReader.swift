import Foundation
import TangentCore

/// Reads IDX files, the format of the MNIST (and Fashion-MNIST, EMNIST, KMNIST) distributions.
///
/// Layout: a 4-byte magic number `00 00 TT RR` (`TT` the element type, `RR` the rank), then `RR` dimensions as
/// big-endian unsigned 32-bit integers, then the elements in C order, big-endian. Element types: `0x08` unsigned
/// byte, `0x09` signed byte, `0x0B` 16-bit int, `0x0C` 32-bit int, `0x0D` float32, `0x0E` float64.
/// The data length must match the dimensions exactly: a shorter file is `.truncated`, a longer one `.corrupt`.
/// Images `(N, 28, 28)` load as `(N, 784)` (see `LoadedArray`).
public enum IDXReader {
    /// An IDX element type: its code, name and size in bytes.
    public enum ElementType: UInt8, Sendable, CaseIterable {
        case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

        public var size: Int {
            switch self {
            case .uint8, .int8: 1
            case .int16: 2
            case .int32, .float32: 4
            case .float64: 8
            }
        }

        /// The numpy name of the type.
        public var name: String { "\(self)" }
    }

    /// Decodes IDX bytes; `source` names the file in errors.
    public static func decode(_ data: Data, source: String) throws -> LoadedArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else {
            throw DataFileError(.truncated, "the file is only \(bytes.count) bytes, shorter than the 4-byte IDX magic "
                                + "number. The file was cut short; download or write it again.", source: source)
        }
        let magic = bytes[0..<4].map { String(format: "%02X", $0) }.joined(separator: " ")
        guard bytes[0] == 0, bytes[1] == 0 else {
            let hint = bytes[0] == 0x1F && bytes[1] == 0x8B
                ? " (this is gzip data: name the file with a .gz suffix so it is decompressed)" : ""
            throw DataFileError(.badMagic,
                                "not an IDX file: the magic number must start with 00 00 but the file starts with "
                                + "\(magic)\(hint). Check that the path points to an MNIST-style IDX file.",
                                source: source)
        }
        guard let type = ElementType(rawValue: bytes[2]) else {
            throw DataFileError(.unsupportedType,
                                "unknown IDX element type 0x" + String(format: "%02X", bytes[2]) + " (magic \(magic)); "
                                + "IDX types are 0x08 ubyte, 0x09 byte, 0x0B short, 0x0C int, 0x0D float, "
                                + "0x0E double. The file is damaged or not an IDX file.", source: source)
        }
        let rank = Int(bytes[3])
        guard rank >= 1 else {
            throw DataFileError(.corrupt, "the IDX header declares rank 0 (magic \(magic)); an array of samples needs "
                                + "at least one dimension", source: source)
        }
        let headerSize = 4 + 4 * rank
        guard bytes.count >= headerSize else {
            throw DataFileError(.truncated,
                                "truncated header: rank \(rank) needs a \(headerSize)-byte header but the file is "
                                + "only \(bytes.count) bytes. The file was cut short; download or write it again.",
                                source: source)
        }
        let shape = (0..<rank).map { Int(bigEndianUInt(bytes, at: 4 + 4 * $0, size: 4)) }
        let shapeText = LoadedArray.describe(shape: shape)
        var expected = type.size
        for dimension in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: dimension)
            guard !overflow else {
                throw DataFileError(.corrupt, "the IDX header declares shape \(shapeText), more data than can exist. "
                                    + "The header is damaged.", source: source)
            }
            expected = product
        }
        let available = bytes.count - headerSize
        guard available >= expected else {
            throw DataFileError(.truncated,
                                "truncated data: the header declares shape \(shapeText) of \(type.name) = \(expected) "
                                + "bytes but only \(available) bytes follow. The file was cut short; download or "
                                + "write it again.", source: source)
        }
        guard available == expected else {
            throw DataFileError(.corrupt,
                                "the header declares shape \(shapeText) of \(type.name) = \(expected) bytes but "
                                + "\(available) bytes follow (\(available - expected) extra). The header and the "
                                + "data disagree.", source: source)
        }
        let count = expected / type.size
        if type == .uint8 {  // MNIST's pixels and labels: the common case, without per-element decoding
            return try LoadedArray(source: source, shape: shape, dtype: type.name,
                                   values: bytes[headerSize...].map(Double.init))
        }
        let values: [Double] = (0..<count).map { k in
            let offset = headerSize + k * type.size
            let raw = bigEndianUInt(bytes, at: offset, size: type.size)
            return switch type {
            case .uint8: Double(raw)
            case .int8: Double(Int8(truncatingIfNeeded: raw))
            case .int16: Double(Int16(truncatingIfNeeded: raw))
            case .int32: Double(Int32(truncatingIfNeeded: raw))
            case .float32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: raw)))
            case .float64: Double(bitPattern: raw)
            }
        }
        return try LoadedArray(source: source, shape: shape, dtype: type.name, values: values)
    }

    /// Reads an IDX file (see `decode`).
    public static func read(path: String) throws -> LoadedArray {
        try decode(try ArrayFileReader.contents(of: path), source: path)
    }

    /// The `size`-byte big-endian unsigned integer at `offset` (the caller has checked the bounds).
    private static func bigEndianUInt(_ bytes: [UInt8], at offset: Int, size: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<size { value = value << 8 | UInt64(bytes[offset + i]) }
        return value
    }
}
