import Foundation
import Testing
@testable import Encoder

@Suite struct SafeTensorsReaderTests {
    @Test func readsNamesShapesMetadataAndValues() throws {
        let w: [Float] = [1, -2.5, 3e-8, .greatestFiniteMagnitude, -0.0, 7]
        let b: [Float] = [0.25, -0.125]
        let url = CraftedFile.safetensors(
            header: #"{"__metadata__": {"format": "pt"}, "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [24, 32]}}"#,
            data: CraftedFile.bytes(w) + CraftedFile.bytes(b))
        let file = try SafeTensorsFile(url: url)
        #expect(file.names == ["b", "w"])
        #expect(file.metadata == ["format": "pt"])
        #expect(file.info("w") == SafeTensorInfo(name: "w", dtype: .f32, shape: [2, 3], byteRange: 0..<24))
        #expect(file.info("__metadata__") == nil)
        let tensor = try file.tensor("w")
        #expect(tensor.shape == [2, 3])
        #expect(tensor.array.map(\.bitPattern) == w.map(\.bitPattern))
        #expect(try file.floats("b") == b)
    }

    /// The header length here is odd, so the F32 data is not 4-byte aligned in the mapping.
    @Test func readsUnalignedData() throws {
        let values: [Float] = (0..<37).map { Float($0) * 0.37 - 3 }
        let header = #"{"x": {"dtype": "F32", "shape": [37], "data_offsets": [0, 148]}} "#
        #expect((8 + header.utf8.count) % 4 != 0)
        let file = try SafeTensorsFile(url: CraftedFile.safetensors(header: header, data: CraftedFile.bytes(values)))
        #expect(try file.floats("x") == values)
    }

    @Test func readsScalarsEmptyTensorsAndHeadersWithoutTensors() throws {
        let url = CraftedFile.safetensors(
            header: #"{"e": {"dtype": "F32", "shape": [0, 4], "data_offsets": [0, 0]}, "s": {"dtype": "F32", "shape": [], "data_offsets": [0, 4]}, "z": {"dtype": "F16", "shape": [3, 0], "data_offsets": [4, 4]}}"#,
            data: CraftedFile.bytes([42]))
        let file = try SafeTensorsFile(url: url)
        #expect(file.names == ["e", "s", "z"])
        #expect(try file.floats("s") == [42])
        #expect(try file.tensor("s").shape == [])
        #expect(try file.floats("e").isEmpty)
        #expect(try file.tensor("z").shape == [3, 0])
        let empty = try SafeTensorsFile(url: CraftedFile.safetensors(header: "{}  "))
        #expect(empty.names.isEmpty && empty.metadata.isEmpty)
    }

    @Test func readsIntoAnExistingBuffer() throws {
        let values: [Float] = [9, 8, 7]
        let file = try SafeTensorsFile(url: CraftedFile.safetensors(
            header: #"{"v": {"dtype": "F32", "shape": [3], "data_offsets": [0, 12]}}"#, data: CraftedFile.bytes(values)))
        var flat = [Float](repeating: 0, count: 5)
        try flat.withUnsafeMutableBufferPointer { try file.read("v", into: UnsafeMutableBufferPointer(rebasing: $0[1..<4])) }
        #expect(flat == [0, 9, 8, 7, 0])
    }

    /// The default model, fetched by scripts/setup.sh (which scripts/test.sh runs first). Fails if it is absent.
    @Test func readsTheDefaultModel() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("models/all-MiniLM-L6-v2/model.safetensors")
        try #require(FileManager.default.fileExists(atPath: url.path), "run scripts/setup.sh to fetch \(url.path)")
        let file = try SafeTensorsFile(url: url)
        #expect(file.metadata["format"] == "pt")
        #expect(file.info("embeddings.word_embeddings.weight")?.shape == [30522, 384])
        #expect(file.info("embeddings.word_embeddings.weight")?.dtype == .f32)
        #expect(file.info("embeddings.position_embeddings.weight")?.shape == [512, 384])
        for layer in 0..<6 {
            #expect(file.info("encoder.layer.\(layer).attention.self.query.weight")?.shape == [384, 384])
            #expect(file.info("encoder.layer.\(layer).intermediate.dense.weight")?.shape == [1536, 384])
            #expect(file.info("encoder.layer.\(layer).output.dense.weight")?.shape == [384, 1536])
        }
        #expect(file.info("encoder.layer.6.attention.self.query.weight") == nil)
        // position_ids is stored as I64 and holds 0, 1, ..., 511.
        #expect(file.info("embeddings.position_ids")?.dtype == .i64)
        #expect(try file.floats("embeddings.position_ids") == (0..<512).map(Float.init))
        let gamma = try file.tensor("embeddings.LayerNorm.weight")
        #expect(gamma.shape == [384] && gamma.array.allSatisfy { $0.isFinite })
    }
}
