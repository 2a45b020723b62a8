import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A `.npy` file of fixed dtype and shape written in place, piece by piece at any position, for arrays computed
/// tile by tile out of core (`outOfCoreNTK`). The file is created at its full size (header, then `ftruncate`),
/// or reopened as it is when it already has this header and size (a resumed computation). Pieces go to disk with
/// `pwrite`, so the page cache, not the process's resident memory, holds what was written; `sync` flushes the
/// data (`fdatasync`) before a caller records the pieces as finished. numpy opens the file with `mmap_mode="r"`.
public final class TiledNPYFile {
    public let url: URL
    public let dtype: NPYDType
    public let shape: [Int]
    /// Bytes before the data (the header).
    public let dataOffset: Int
    /// The file's size in bytes.
    public let byteCount: Int
    /// True when an existing file with the same header and size was reopened rather than created.
    public let reopened: Bool
    private var fd: Int32

    /// The size in bytes of the file for `dtype` and `shape`.
    public static func byteCount(dtype: NPYDType, shape: [Int]) -> Int {
        NPYHeader.encode(dtype: dtype, shape: shape).count + shape.reduce(1, *) * dtype.itemSize
    }

    /// Opens `url` for `dtype` and `shape`: reopens it when its header and size match and `resume` is true,
    /// otherwise (re)creates it, zero-filled (sparse), at its full size.
    public init(url: URL, dtype: NPYDType, shape: [Int], resume: Bool) throws {
        let header = NPYHeader.encode(dtype: dtype, shape: shape)
        self.url = url
        self.dtype = dtype
        self.shape = shape
        dataOffset = header.count
        byteCount = header.count + shape.reduce(1, *) * dtype.itemSize
        var matches = false
        if resume, let attributes = try? FileManager.default.attributesOfItem(atPath: url.path),
           (attributes[.size] as? NSNumber)?.intValue == byteCount,
           let handle = FileHandle(forReadingAtPath: url.path) {
            let head = handle.readData(ofLength: header.count)
            try? handle.close()
            matches = Array(head) == header
        }
        reopened = matches
        fd = open(url.path, matches ? O_RDWR : (O_RDWR | O_CREAT | O_TRUNC), 0o644)
        guard fd >= 0 else {
            throw NPYError(.io, "cannot open \(url.path) for writing: \(String(cString: strerror(errno)))", source: url.path)
        }
        if !matches {
            guard ftruncate(fd, off_t(byteCount)) == 0 else {
                let message = String(cString: strerror(errno))
                close(fd)
                throw NPYError(.io, "cannot size \(url.path) to \(byteCount) bytes: \(message)", source: url.path)
            }
            try header.withUnsafeBytes { try write($0, at: 0) }
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Writes `count` elements from `values` (already in the file's dtype) at element index `element`.
    public func write<Scalar: TangentScalar>(_ values: UnsafeBufferPointer<Scalar>, atElement element: Int) throws {
        precondition(MemoryLayout<Scalar>.size == dtype.itemSize, "TiledNPYFile: the values must be in the file's dtype")
        try write(UnsafeRawBufferPointer(values), at: dataOffset + element * dtype.itemSize)
    }

    private func write(_ bytes: UnsafeRawBufferPointer, at position: Int) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(position + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw NPYError(.io, "cannot write \(url.path): \(String(cString: strerror(errno)))", source: url.path)
            }
            done += n
        }
    }

    /// Flushes the data written so far to disk.
    public func sync() throws {
        #if canImport(Glibc)
        let rc = fdatasync(fd)
        #else
        let rc = fsync(fd)
        #endif
        guard rc == 0 else {
            throw NPYError(.io, "cannot flush \(url.path): \(String(cString: strerror(errno)))", source: url.path)
        }
    }

    /// Bytes available to an unprivileged user on the file system holding `folder` (statvfs), nil when unknown.
    public static func availableBytes(in folder: URL) -> Int? {
        var info = statvfs()
        guard statvfs(folder.path, &info) == 0 else { return nil }
        return Int(clamping: UInt64(info.f_bavail) &* UInt64(info.f_frsize))
    }
}
