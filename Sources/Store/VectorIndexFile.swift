import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A store's vectors in the layout `TopK` scans, in one file beside the database (`<database>.vectors`)
/// that a search maps instead of reading every vector out of SQLite: the float32 rows, their norms,
/// the int8 codes with their residual bounds (`QuantizedMatrix`), the 4-bit codes (`NibbleMatrix`) and
/// the ids. A search then touches only what it scans (the int8 or 4-bit codes) and the few float32
/// rows it rescores.
///
/// SQLite stays the source of truth; this file is derived, and used only while it describes the store
/// exactly: its header records the store's `StoreGeneration` read in the same snapshot as the
/// vectors, and a search compares both with the database's. It is written whole to a temporary file,
/// synced and renamed over the old one, so a reader sees the old file or the new one, never half of
/// one; a writer killed before the rename leaves the old file, which the next change of the store has
/// already made stale.
///
/// Layout, little-endian: a 4096-byte header (below), then ten sections, each starting on a 4096-byte
/// boundary: rows (count, stride) float32; norms (count) float32; inverse norms (count) float32; int8
/// scales (dimension) float32; int8 codes (count, stride); residual bounds (count) float32; 4-bit scales
/// (dimension) float32; 4-bit codes (count, nibble stride) bytes; id offsets (count + 1) UInt64; id
/// bytes (UTF-8).
///
/// Header: magic "EMBTVIDX", version UInt32, 4 zero bytes, count UInt64, dimension UInt32, stride
/// UInt32, nibble stride UInt32, flags UInt32 (bit 0: unit-norm rows; bit 1: the int8 codes are the
/// store's own), largest residual Float32, 4 zero bytes, store id (64 bytes, NUL-padded), generation
/// (64 bytes), ten (offset, length) UInt64 pairs, file size UInt64, then a 64-bit FNV-1a checksum of
/// everything before it.
public enum VectorIndexFile {
    static let magic = Array("EMBTVIDX".utf8)
    static let version: UInt32 = 1
    static let headerBytes = 4096
    static let alignment = 4096
    static let sectionCount = 10
    static let identityBytes = 64
    static let checksumOffset = 176 + 16 * sectionCount + 8

    enum Section: Int, CaseIterable {
        case rows, norms, inverseNorms, int8Scales, int8Codes, residuals, nibbleScales, nibbleCodes, idOffsets, idBytes
    }

    /// The index file of the database at `databasePath`.
    public static func path(forDatabase databasePath: String) -> String { databasePath + ".vectors" }

    // MARK: - writing

    /// Writes the index of `matrix` with its int8 and 4-bit copies (same rows), built from the snapshot
    /// whose identity is `generation`, atomically to `path`. `int8FromStore`: the codes are the store's
    /// own (recorded in the header; searches then equal those over the store's codes).
    static func write(
        matrix: VectorMatrix, quantized: QuantizedMatrix, nibble: NibbleMatrix, generation: StoreGeneration,
        int8FromStore: Bool, to path: String
    ) throws(StoreError) {
        #if _endian(big)
        throw StoreError.indexFile(path: path, reason: "index files are written on little-endian machines only")
        #else
        let n = matrix.count, float = MemoryLayout<Float>.stride
        var idBytes: [UInt8] = []
        var idOffsets: [UInt64] = [0]
        idOffsets.reserveCapacity(n + 1)
        for id in matrix.ids {
            idBytes.append(contentsOf: id.utf8)
            idOffsets.append(UInt64(idBytes.count))
        }
        // In `Section` order. The matrices' memory stays valid while this call holds them.
        let sections: [SectionBytes] = [
            .borrowed(matrix.data, count: n * matrix.stride * float),
            .borrowed(matrix.norms, count: n * float),
            .borrowed(matrix.inverseNorms, count: n * float),
            .copied(quantized.scales),
            .borrowed(quantized.codes, count: n * quantized.stride),
            .borrowed(quantized.residualNorms, count: n * float),
            .copied(nibble.scales),
            .borrowed(nibble.codes, count: n * nibble.stride),
            .copied(idOffsets),
            .owned(idBytes),
        ]
        var layout: [(offset: Int, bytes: Int)] = []
        var end = headerBytes
        for section in sections {
            layout.append((end, section.count))
            end = (end + section.count + alignment - 1) / alignment * alignment
        }
        let header = try header(
            count: n, dimension: matrix.dimension, stride: matrix.stride, nibbleStride: nibble.stride,
            flags: (matrix.isUnitNorm ? 1 : 0) | (int8FromStore ? 2 : 0), largestResidual: quantized.largestResidual,
            generation: generation, layout: layout, fileSize: end, path: path)
        let pieces = [(SectionBytes.owned(header), 0)] + zip(sections, layout.map(\.offset))
        let tmp = path + ".tmp-\(getpid())"
        do throws(StoreError) {
            try writeFile(tmp, pieces: pieces, fileSize: end)
            guard rename(tmp, path) == 0 else { throw StoreError.indexFile(path: path, reason: "rename: " + errnoText()) }
        } catch {
            unlink(tmp)
            throw error
        }
        #endif
    }

    /// The bytes of one section: memory a matrix holds, or bytes of its own.
    enum SectionBytes {
        case borrowed(UnsafeRawPointer, count: Int)
        case owned([UInt8])

        /// The bytes of `values` as this (little-endian) machine holds them.
        static func copied<T>(_ values: [T]) -> SectionBytes { .owned(values.withUnsafeBytes { Array($0) }) }

        var count: Int {
            switch self {
            case .borrowed(_, let count): count
            case .owned(let bytes): bytes.count
            }
        }

        func withBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
            switch self {
            case .borrowed(let start, let count): body(UnsafeRawBufferPointer(start: start, count: count))
            case .owned(let bytes): bytes.withUnsafeBytes(body)
            }
        }
    }

    /// The 4096-byte header.
    static func header(
        count: Int, dimension: Int, stride: Int, nibbleStride: Int, flags: UInt32, largestResidual: Float,
        generation: StoreGeneration, layout: [(offset: Int, bytes: Int)], fileSize: Int, path: String
    ) throws(StoreError) -> [UInt8] {
        var h = [UInt8](repeating: 0, count: headerBytes)
        var at = 0
        func put<T: FixedWidthInteger>(_ v: T) {
            withUnsafeBytes(of: v.littleEndian) { for b in $0 { h[at] = b; at += 1 } }
        }
        func putText(_ text: String) throws(StoreError) {
            let bytes = Array(text.utf8)
            guard bytes.count <= identityBytes else { throw StoreError.indexFile(path: path, reason: "store identity too long") }
            for (i, b) in bytes.enumerated() { h[at + i] = b }
            at += identityBytes
        }
        for b in magic { h[at] = b; at += 1 }
        put(version); put(UInt32(0))
        put(UInt64(count)); put(UInt32(dimension)); put(UInt32(stride)); put(UInt32(nibbleStride)); put(flags)
        put(largestResidual.bitPattern); put(UInt32(0))
        try putText(generation.storeID)
        try putText(generation.generation)
        for section in layout { put(UInt64(section.offset)); put(UInt64(section.bytes)) }
        put(UInt64(fileSize))
        precondition(at == checksumOffset, "header layout")
        put(checksum(h[0..<checksumOffset]))
        return h
    }

    /// 64-bit FNV-1a.
    static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    /// Writes `pieces` (bytes, offset) to a new file at `tmp`, `fileSize` long (zeros between them), synced.
    private static func writeFile(_ tmp: String, pieces: [(SectionBytes, Int)], fileSize: Int) throws(StoreError) {
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.indexFile(path: tmp, reason: errnoText()) }
        defer { close(fd) }
        for (bytes, offset) in pieces where bytes.count > 0 {
            let written = bytes.withBytes { raw in raw.baseAddress.map { writeAll(fd, $0, raw.count, at: offset) } ?? false }
            guard written else { throw StoreError.indexFile(path: tmp, reason: errnoText()) }
        }
        guard ftruncate(fd, off_t(fileSize)) == 0, fsync(fd) == 0 else {
            throw StoreError.indexFile(path: tmp, reason: errnoText())
        }
    }

    /// Writes `bytes` from `start` at `offset` of `fd`; false (errno set) when a write fails.
    private static func writeAll(_ fd: Int32, _ start: UnsafeRawPointer, _ bytes: Int, at offset: Int) -> Bool {
        var done = 0
        while done < bytes {
            let w = pwrite(fd, start + done, Swift.min(bytes - done, 1 << 30), off_t(offset + done))
            if w < 0 && errno == EINTR { continue }
            guard w > 0 else { return false }
            done += w
        }
        return true
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
