import Foundation

/// Writes a zip archive of STORED members piece by piece, so that members can be streamed to a file: for each
/// member, `localHeader(name:size:crc:)` returns the bytes that precede its contents (and records its central
/// directory entry); after the last member, `trailer()` returns the central directory and end records.
///
/// The archive is reproducible: fixed 1980-01-01 timestamps, members in the order given, Zip64 records only
/// where sizes or offsets require them (or everywhere with `forceZip64`, for tests). Member names must be at
/// most 65535 bytes of UTF-8. `ZipArchive.write` (in memory) and `NPZ.write` (streamed) both use this type,
/// so their bytes are the same by construction.
struct ZipArchiveWriter {
    let forceZip64: Bool
    /// Bytes of the archive so far (headers and contents of the members announced).
    private(set) var offset: UInt64 = 0
    private var central = Data()
    private var count: UInt64 = 0

    init(forceZip64: Bool = false) { self.forceZip64 = forceZip64 }

    /// The local file header of a STORED member of `size` bytes with CRC-32 `crc`; its contents must follow
    /// it immediately.
    mutating func localHeader(name memberName: String, size: UInt64, crc: UInt32) -> Data {
        typealias Z = ZipArchive
        let name = Array(memberName.utf8)
        let flags: UInt16 = name.allSatisfy { $0 < 0x80 } ? 0 : 0x800 // bit 11: the name is UTF-8
        let bigSizes = forceZip64 || size >= Z.max32
        let bigOffset = forceZip64 || offset >= Z.max32
        let version: UInt16 = bigSizes || bigOffset ? 45 : 20

        var out = Data()
        out.appendLE(Z.localHeaderSignature)
        out.appendLE(bigSizes ? 45 : 20 as UInt16)
        out.appendLE(flags)
        out.appendLE(0 as UInt16) // method: stored
        out.appendLE(0 as UInt16) // time 00:00:00
        out.appendLE(Z.dosDate1980)
        out.appendLE(crc)
        out.appendLE(UInt32(bigSizes ? Z.max32 : size)) // compressed
        out.appendLE(UInt32(bigSizes ? Z.max32 : size)) // uncompressed
        out.appendLE(UInt16(name.count))
        out.appendLE(bigSizes ? 20 : 0 as UInt16)
        out.append(contentsOf: name)
        if bigSizes {
            out.appendLE(Z.zip64ExtraID)
            out.appendLE(16 as UInt16)
            out.appendLE(size)
            out.appendLE(size)
        }

        let extraLength = (bigSizes ? 16 : 0) + (bigOffset ? 8 : 0)
        central.appendLE(Z.centralHeaderSignature)
        central.appendLE(3 << 8 | version) // made by: Unix
        central.appendLE(version)
        central.appendLE(flags)
        central.appendLE(0 as UInt16)
        central.appendLE(0 as UInt16)
        central.appendLE(Z.dosDate1980)
        central.appendLE(crc)
        central.appendLE(UInt32(bigSizes ? Z.max32 : size))
        central.appendLE(UInt32(bigSizes ? Z.max32 : size))
        central.appendLE(UInt16(name.count))
        central.appendLE(UInt16(extraLength == 0 ? 0 : extraLength + 4))
        central.appendLE(0 as UInt16) // comment length
        central.appendLE(0 as UInt16) // disk number start
        central.appendLE(0 as UInt16) // internal attributes
        central.appendLE(UInt32(0o100644) << 16) // external attributes: regular file, rw-r--r--
        central.appendLE(UInt32(bigOffset ? Z.max32 : offset))
        central.append(contentsOf: name)
        if extraLength > 0 {
            central.appendLE(Z.zip64ExtraID)
            central.appendLE(UInt16(extraLength))
            if bigSizes { central.appendLE(size); central.appendLE(size) }
            if bigOffset { central.appendLE(offset) }
        }
        offset += UInt64(out.count) + size
        count += 1
        return out
    }

    /// The central directory and the end records (Zip64 ones when needed), which end the archive.
    func trailer() -> Data {
        typealias Z = ZipArchive
        let directoryOffset = offset
        let directorySize = UInt64(central.count)
        var out = central
        let zip64End = forceZip64 || count >= Z.max16 || directorySize >= Z.max32 || directoryOffset >= Z.max32
        if zip64End {
            let recordOffset = directoryOffset + directorySize
            out.appendLE(Z.zip64EndSignature)
            out.appendLE(44 as UInt64) // size of the rest of the record
            out.appendLE(3 << 8 | 45 as UInt16)
            out.appendLE(45 as UInt16)
            out.appendLE(0 as UInt32) // this disk
            out.appendLE(0 as UInt32) // disk with the central directory
            out.appendLE(count)
            out.appendLE(count)
            out.appendLE(directorySize)
            out.appendLE(directoryOffset)
            out.appendLE(Z.zip64LocatorSignature)
            out.appendLE(0 as UInt32)
            out.appendLE(recordOffset)
            out.appendLE(1 as UInt32) // total disks
        }
        out.appendLE(Z.endSignature)
        out.appendLE(0 as UInt16)
        out.appendLE(0 as UInt16)
        out.appendLE(UInt16(zip64End ? Z.max16 : count))
        out.appendLE(UInt16(zip64End ? Z.max16 : count))
        out.appendLE(UInt32(zip64End ? Z.max32 : directorySize))
        out.appendLE(UInt32(zip64End ? Z.max32 : directoryOffset))
        out.appendLE(0 as UInt16) // comment length
        return out
    }
}

extension ZipArchive {
    /// A zip archive holding `members` STORED, in order (see `ZipArchiveWriter`).
    static func write(_ members: [(name: String, contents: Data)], forceZip64: Bool = false) -> Data {
        var writer = ZipArchiveWriter(forceZip64: forceZip64)
        var out = Data()
        out.reserveCapacity(members.reduce(0) { $0 + $1.contents.count + 2 * $1.name.utf8.count + 200 } + 100)
        for member in members {
            let crc = member.contents.withUnsafeBytes { Zlib.crc32($0) }
            out.append(writer.localHeader(name: member.name, size: UInt64(member.contents.count), crc: crc))
            out.append(member.contents)
        }
        out.append(writer.trailer())
        return out
    }
}
