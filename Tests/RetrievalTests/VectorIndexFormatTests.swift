import Foundation
@testable import Store
import Testing

/// The bytes `VectorIndexFile.write` produces, pinned: a fixed snapshot written by the format's first
/// version hashes to the SHA-256 recorded then, so a change of the writer cannot change the format
/// unnoticed.
@Suite struct VectorIndexFormatTests {
    @Test func aFixedSnapshotIsWrittenToThePinnedBytesAndReadBack() throws {
        let dir = try TempDirectory()
        defer { dir.cleanup() }
        // 20 dimensions: rows padded to a stride of 32, 4-bit rows of 64 bytes; ids of 0 to 4 UTF-8 bytes.
        let ids = ["a", "bb", "", "dddd", "é", "f"]
        let vectors = randomVectors(ids.count, 20, seed: 9)
        let matrix = VectorMatrix(ids: ids, vectors: vectors, dimension: 20)
        let quantized = QuantizedMatrix(matrix: matrix)
        let generation = StoreGeneration(storeID: "0123456789abcdef0123456789abcdef", generation: "fedcba9876543210fedcba9876543210")
        let path = dir.path("v.db.vectors")
        try VectorIndexFile.write(
            matrix: matrix, quantized: quantized, nibble: NibbleMatrix(quantized: quantized), generation: generation,
            int8FromStore: true, to: path)
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(bytes.count == 4096 * 11)
        var hash = SHA256()
        hash.update(bytes)
        #expect(SHA256.hex(hash.finalize()) == "f4f354e2323d06c49cbeb34a2fdeb5513881980e94cfd62af4520cb54daa734c")

        let mapped = try VectorIndexFile.load(path: path, expected: generation, dimension: 20)
        #expect(Array(mapped.matrix.ids) == ids)
        #expect(mapped.int8FromStore)
        for (i, v) in vectors.enumerated() { #expect(mapped.matrix.vector(i).map(\.bitPattern) == v.map(\.bitPattern)) }
    }
}
