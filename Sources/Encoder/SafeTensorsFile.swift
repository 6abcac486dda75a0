import Foundation
import Tensor
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A safetensors file, memory-mapped read-only and validated when opened.
///
/// Layout (huggingface/safetensors README, "Format"): an 8-byte little-endian `UInt64` N, N bytes of UTF-8
/// JSON header (see ``SafeTensorsHeader`` for what is checked), then the data section, which the tensors'
/// `data_offsets` index. Once `init` returns every tensor's bytes are known to lie inside the mapping, so
/// reading cannot go out of bounds. (As with any mapping, a file truncated by another process while mapped
/// raises SIGBUS on access; files are not expected to change under a reader.)
///
/// The mapping lives as long as this object; `deinit` unmaps it. The object is immutable after `init`, so it
/// may be shared across threads.
public final class SafeTensorsFile: @unchecked Sendable {
    public let url: URL
    /// The optional `__metadata__` object (for example `["format": "pt"]`), empty when absent.
    public let metadata: [String: String]
    /// Tensor names, sorted.
    public let names: [String]

    private let infos: [String: SafeTensorInfo]
    private let mapping: UnsafeRawPointer
    private let mappedSize: Int
    /// Offset of the data section in the file: 8 + header length.
    private let dataStart: Int

    public init(url: URL) throws {
        let path = url.path
        self.url = url
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw SafeTensorsError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw SafeTensorsError.notARegularFile(path: path) }
        let fileSize = Int(status.st_size)
        guard fileSize >= 8 else { throw SafeTensorsError.truncated(path: path, fileSize: fileSize) }

        guard let raw = mmap(nil, fileSize, PROT_READ, MAP_PRIVATE, descriptor, 0),
            raw != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            throw SafeTensorsError.cannotOpen(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        let bytes = UnsafeRawBufferPointer(start: raw, count: fileSize)
        do {
            let headerLength = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
            let available = fileSize - 8
            guard headerLength <= UInt64(available), headerLength <= UInt64(SafeTensorsHeader.maximumLength) else {
                throw SafeTensorsError.headerLengthOutOfRange(
                    path: path, headerLength: headerLength, available: available,
                    limit: SafeTensorsHeader.maximumLength)
            }
            let length = Int(headerLength)
            let header = try SafeTensorsHeader(
                json: UnsafeRawBufferPointer(rebasing: bytes[8..<(8 + length)]),
                dataSize: available - length, path: path)
            self.infos = header.tensors
            self.metadata = header.metadata
            self.names = header.tensors.keys.sorted()
            self.dataStart = 8 + length
        } catch {
            munmap(raw, fileSize)
            throw error
        }
        self.mapping = UnsafeRawPointer(raw)
        self.mappedSize = fileSize
    }

    deinit {
        munmap(UnsafeMutableRawPointer(mutating: mapping), mappedSize)
    }

    /// The header entry of the tensor, or nil if there is none of that name.
    public func info(_ name: String) -> SafeTensorInfo? { infos[name] }

    /// Calls `body` with the tensor's raw little-endian bytes, straight from the mapping (no copy). The
    /// pointer is valid only during the call.
    public func withUnsafeBytes<Result>(
        _ name: String, _ body: (UnsafeRawBufferPointer) throws -> Result
    ) throws -> Result {
        let bytes = try mappedBytes(name)
        return try withExtendedLifetime(self) { try body(bytes) }
    }

    /// The tensor's raw little-endian bytes in the mapping, valid as long as this object lives (the
    /// caller keeps it alive: frozen weights read their F32 tensors in place).
    func mappedBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let info = try lookup(name)
        let range = (dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound)
        precondition(range.upperBound <= mappedSize, "validated range escapes the mapping")
        return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(start: mapping, count: mappedSize)[range])
    }

    /// Converts the tensor to `Float` and writes it into `destination`, which must hold exactly its element
    /// count (for example a named view into a flat parameter buffer).
    public func read(_ name: String, into destination: UnsafeMutableBufferPointer<Float>) throws {
        let info = try lookup(name)
        guard info.dtype.convertibleToFloat else {
            throw SafeTensorsError.notConvertibleToFloat(path: url.path, tensor: name, dtype: info.dtype)
        }
        guard destination.count == info.count else {
            throw SafeTensorsError.destinationSizeMismatch(
                path: url.path, tensor: name, elements: info.count, destination: destination.count)
        }
        try withUnsafeBytes(name) { source in
            SafeTensorsConversion.convert(source, dtype: info.dtype, into: destination)
        }
    }

    /// The tensor converted to `Float`, with its shape.
    public func tensor(_ name: String) throws -> Tensor {
        let info = try lookup(name)
        guard info.dtype.convertibleToFloat else {
            throw SafeTensorsError.notConvertibleToFloat(path: url.path, tensor: name, dtype: info.dtype)
        }
        let result = Tensor(zeros: info.shape)
        try read(name, into: result.buffer)
        return result
    }

    /// The tensor converted to `Float`, flattened in row-major order.
    public func floats(_ name: String) throws -> [Float] {
        let info = try lookup(name)
        guard info.dtype.convertibleToFloat else {
            throw SafeTensorsError.notConvertibleToFloat(path: url.path, tensor: name, dtype: info.dtype)
        }
        return try [Float](unsafeUninitializedCapacity: info.count) { buffer, initialized in
            try read(name, into: buffer)
            initialized = info.count
        }
    }

    private func lookup(_ name: String) throws -> SafeTensorInfo {
        guard let info = infos[name] else { throw SafeTensorsError.tensorNotFound(path: url.path, tensor: name) }
        return info
    }
}
