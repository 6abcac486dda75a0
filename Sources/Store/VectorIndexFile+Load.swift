import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A mapped `VectorIndexFile`: the matrices `TopK` scans, over the file's pages (each keeps the mapping alive).
public struct MappedVectorIndex: Sendable {
    public let matrix: VectorMatrix
    public let quantized: QuantizedMatrix
    public let nibble: NibbleMatrix
    /// The int8 codes are the store's own (`VectorStore.quantize()`), not made for the index.
    public let int8FromStore: Bool
}

extension VectorIndexFile {
    /// Maps the index file at `path` when it describes the store whose identity is `expected` and whose
    /// vectors have `dimension` values; otherwise throws why not. Checks the header (magic, version,
    /// checksum, sizes consistent with count and dimension, sections inside the file) and the file's
    /// size, not the sections' contents (hashing them would read the whole file on every search):
    /// a search checks each hit it returns against the database instead (`Retrieval`'s
    /// `IndexHitCheck`: the id names a stored document, the score is the cosine with its stored
    /// vector), so a damaged row that becomes a hit is caught, one that only drops out of the top k is
    /// not. A damaged id offset reads as an empty id (`RowIDs`), never out of bounds.
    public static func load(path: String, expected: StoreGeneration, dimension: Int) throws(VectorIndexProblem) -> MappedVectorIndex {
        #if _endian(big)
        throw VectorIndexProblem.notAnIndex(path: path, reason: "index files are read on little-endian machines only")
        #else
        // Non-blocking: opening a FIFO to read would otherwise wait for a writer (forever); for a
        // regular file the flag changes nothing.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            if errno == ENOENT { throw .missing(path: path) }
            throw .unreadable(path: path, reason: errnoText())
        }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw .unreadable(path: path, reason: errnoText()) }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .unreadable(path: path, reason: "not a regular file") }
        let actualSize = Int(status.st_size)
        var header = [UInt8](repeating: 0, count: headerBytes)
        let got = header.withUnsafeMutableBytes { pread(fd, $0.baseAddress, headerBytes, 0) }
        guard got == headerBytes else {
            if got < 0 { throw .unreadable(path: path, reason: errnoText()) }
            throw .notAnIndex(path: path, reason: "\(actualSize) bytes, shorter than a header")
        }
        let fields = try HeaderFields(header, path: path)
        guard fields.fileSize == actualSize else { throw .wrongSize(path: path, expected: fields.fileSize, actual: actualSize) }
        guard fields.storeID == expected.storeID else { throw .otherStore(path: path) }
        guard fields.generation == expected.generation else { throw .stale(path: path) }
        guard fields.dimension == dimension else {
            throw .dimensionMismatch(path: path, index: fields.dimension, store: dimension)
        }
        // Scanned sections come from `file`; rows read one at a time (rescoring, the hits' ids) from
        // `scattered`, so that each costs a few pages of resident set, not a huge folio.
        guard let file = MappedFile(descriptor: fd, size: actualSize),
            let scattered = MappedFile(descriptor: fd, size: actualSize, scattered: true)
        else {
            throw .unreadable(path: path, reason: "mmap: " + errnoText())
        }
        let owner = MappedFiles([file, scattered])
        let n = fields.count, d = fields.dimension
        func at(_ section: Section) -> UnsafeMutableRawPointer { file.base + fields.layout[section.rawValue].offset }
        func row(_ section: Section) -> UnsafeMutableRawPointer { scattered.base + fields.layout[section.rawValue].offset }
        func floats(_ section: Section, _ count: Int) -> [Float] {
            Array(UnsafeBufferPointer(start: at(section).assumingMemoryBound(to: Float.self), count: count))
        }
        let ids = RowIDs(
            offsets: UnsafePointer(row(.idOffsets).assumingMemoryBound(to: UInt64.self)),
            bytes: UnsafePointer(row(.idBytes).assumingMemoryBound(to: UInt8.self)),
            length: fields.layout[Section.idBytes.rawValue].bytes, count: n, owner: owner)
        let matrix = VectorMatrix(
            count: n, dimension: d, ids: ids, data: row(.rows).assumingMemoryBound(to: Float.self),
            norms: at(.norms).assumingMemoryBound(to: Float.self),
            inverseNorms: at(.inverseNorms).assumingMemoryBound(to: Float.self), isUnitNorm: fields.flags & 1 != 0,
            owner: owner)
        let quantized = QuantizedMatrix(
            count: n, dimension: d, scales: floats(.int8Scales, d), codes: at(.int8Codes).assumingMemoryBound(to: Int8.self),
            residualNorms: at(.residuals).assumingMemoryBound(to: Float.self), largestResidual: fields.largestResidual,
            owner: file)
        let nibble = NibbleMatrix(
            count: n, dimension: d, scales: floats(.nibbleScales, d), codes: at(.nibbleCodes).assumingMemoryBound(to: UInt8.self),
            owner: file)
        return MappedVectorIndex(
            matrix: matrix, quantized: quantized, nibble: nibble, int8FromStore: fields.flags & 2 != 0)
        #endif
    }

    /// The header's values, checked against each other.
    struct HeaderFields {
        var count = 0, dimension = 0, stride = 0, nibbleStride = 0, fileSize = 0
        var flags: UInt32 = 0
        var largestResidual: Float = .infinity
        var storeID = "", generation = ""
        var layout: [(offset: Int, bytes: Int)] = []

        init(_ h: [UInt8], path: String) throws(VectorIndexProblem) {
            guard Array(h[0..<8]) == magic else { throw .notAnIndex(path: path, reason: "no EMBTVIDX magic") }
            var at = 8
            func u32() -> UInt32 {
                var v: UInt32 = 0
                for i in 0..<4 { v |= UInt32(h[at + i]) << (8 * i) }
                at += 4
                return v
            }
            func u64() -> UInt64 {
                var v: UInt64 = 0
                for i in 0..<8 { v |= UInt64(h[at + i]) << (8 * i) }
                at += 8
                return v
            }
            func text() -> String {
                let bytes = h[at..<(at + identityBytes)].prefix { $0 != 0 }
                at += identityBytes
                return String(decoding: bytes, as: UTF8.self)
            }
            let version = u32()
            guard version == VectorIndexFile.version else {
                throw .notAnIndex(path: path, reason: "format version \(version), this program reads \(VectorIndexFile.version)")
            }
            _ = u32()
            let limit = UInt64(Int.max / 8)
            let count64 = u64()
            guard count64 < limit else { throw .notAnIndex(path: path, reason: "count \(count64)") }
            count = Int(count64)
            dimension = Int(u32())
            stride = Int(u32())
            nibbleStride = Int(u32())
            flags = u32()
            largestResidual = Float(bitPattern: u32())
            _ = u32()
            storeID = text()
            generation = text()
            for _ in 0..<sectionCount {
                let offset = u64(), bytes = u64()
                guard offset < limit, bytes < limit else { throw .notAnIndex(path: path, reason: "section out of range") }
                layout.append((Int(offset), Int(bytes)))
            }
            let size = u64()
            guard size < limit else { throw .notAnIndex(path: path, reason: "file size \(size)") }
            fileSize = Int(size)
            let recorded = u64()
            guard recorded == VectorIndexFile.checksum(h[0..<checksumOffset]) else {
                throw .notAnIndex(path: path, reason: "header checksum mismatch")
            }
            guard dimension > 0, dimension < 1 << 20, stride == (dimension + 15) / 16 * 16,
                nibbleStride == (dimension + 127) / 128 * 64
            else { throw .notAnIndex(path: path, reason: "dimension \(dimension), strides \(stride)/\(nibbleStride)") }
            let (n, d) = (count, dimension)
            let expectedBytes = [n * stride * 4, n * 4, n * 4, d * 4, n * stride, n * 4, d * 4, n * nibbleStride, (n + 1) * 8]
            for (section, bytes) in zip(layout, expectedBytes) where section.bytes != bytes {
                throw .notAnIndex(path: path, reason: "a section of \(section.bytes) bytes, not \(bytes)")
            }
            for section in layout {
                guard section.offset % alignment == 0, section.offset >= headerBytes, section.offset + section.bytes <= fileSize
                else { throw .notAnIndex(path: path, reason: "a section outside the file") }
            }
        }
    }
}
