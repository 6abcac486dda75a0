import Foundation
import Testing
@testable import Encoder

/// Tensors in an adapter file beyond the pairs adapter_config.json describes: peft also wraps the
/// pooler of `transformers.AutoModel` when "dense" is a target, which sentence embeddings never run,
/// so those pairs are skipped; anything else is refused, named.
struct AdapterExtraTensorsTests {
    static let tinyAdapter = Fixtures.repositoryRoot.appendingPathComponent("Tests/TrainingTests/Fixtures/tiny_adapter")

    /// A copy of the tiny adapter whose weights file also holds `extra` (a (2, 2) tensor).
    func adapter(withExtra extra: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("embedtune-adapter-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Self.tinyAdapter, to: directory)
        let url = directory.appendingPathComponent(LoRAAdapter.weightsFileName)
        let file = try SafeTensorsFile(url: url)
        let tensors = try file.names.map { ($0, file.info($0)?.shape ?? [], try file.floats($0)) } + [(extra, [2, 2], [1, 2, 3, 4])]
        let buffers = tensors.map { t -> UnsafeMutableBufferPointer<Float> in
            let b = UnsafeMutableBufferPointer<Float>.allocate(capacity: t.2.count)
            _ = b.initialize(from: t.2)
            return b
        }
        defer { buffers.forEach { $0.deallocate() } }
        try SafeTensorsWriter.write(
            zip(tensors, buffers).map { ($0.0, $0.1, UnsafeBufferPointer($1)) }, metadata: ["format": "pt"], to: url)
        return directory
    }

    @Test func poolerPairsAreSkipped() throws {
        let directory = try adapter(withExtra: "base_model.model.pooler.dense.lora_A.weight")
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ModelDirectory(url: Fixtures.tinyBert)
        let parameters = try model.loadParameters()
        let withExtra = try LoRAAdapter(directory: directory, bert: parameters)
        let plain = try LoRAAdapter(directory: Self.tinyAdapter, bert: parameters)
        #expect(Array(withExtra.block.storage.buffer) == Array(plain.block.storage.buffer))
    }

    @Test func otherExtraTensorsAreRefusedByName() throws {
        let name = "base_model.model.encoder.layer.0.output.LayerNorm.lora_A.weight"
        let directory = try adapter(withExtra: name)
        defer { try? FileManager.default.removeItem(at: directory) }
        let parameters = try ModelDirectory(url: Fixtures.tinyBert).loadParameters()
        #expect(throws: ModelLoadingError.self) { try LoRAAdapter(directory: directory, bert: parameters) }
        do { _ = try LoRAAdapter(directory: directory, bert: parameters) } catch {
            #expect("\(error)".contains(name))
        }
    }
}
