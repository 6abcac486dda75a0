import Foundation
import Kernels
import Tensor
import Testing
@testable import Encoder

/// sentence-transformers' Dense modules: the tiny BERT with two of them (tanh with a bias, identity
/// without), saved by `SentenceTransformer.save` in scripts/reference/dense_fixtures.py, must give the
/// embeddings sentence-transformers computed; and what EmbedTune writes must read back the same.
struct DenseModuleTests {
    struct IO: Decodable {
        var sequences: [[Int32]]
        var typeIds: [[Int32]]
        var dimension: Int
        var sentenceEmbeddings: [Float]
    }

    static let denseDirectory = Fixtures.directory.appendingPathComponent("tiny_bert_dense")

    func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("embedtune-dense-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func sentenceTransformersDenseModulesAreRead() throws {
        let directory = try ModelDirectory(url: Self.denseDirectory)
        #expect(directory.dense.map(\.inFeatures) == [32, 16])
        #expect(directory.dense.map(\.outFeatures) == [16, 24])
        #expect(directory.dense.map(\.activation) == [.tanh, .identity])
        #expect(directory.dense[0].bias != nil && directory.dense[1].bias == nil)
        #expect(directory.embeddingDimension == 24)
        #expect(directory.normalize)
        #expect(directory.weightFiles.count == 3)
    }

    @Test func embeddingsEqualSentenceTransformers() throws {
        let io = try Fixtures.json("tiny_bert_dense_io.json", as: IO.self)
        let directory = try ModelDirectory(url: Self.denseDirectory)
        let encoder = SentenceEncoder(directory: directory, weights: try directory.loadFrozenWeights())
        #expect(encoder.dimension == io.dimension)
        // The fixture's sequences have token types, so they go to the model as one packed batch.
        let batch = PackedBatch(sequences: io.sequences, typeIds: io.typeIds)
        var out = [Float](repeating: 0, count: batch.batchSize * io.dimension)
        out.withUnsafeMutableBufferPointer {
            encoder.model.encode(batch, into: $0.baseAddress!, workspace: InferenceWorkspace(), threads: 1)
        }
        #expect(maxAbsDifference(out, io.sentenceEmbeddings) <= 1e-5)
    }

    @Test func theFingerprintIncludesTheDenseModules() throws {
        let withDense = try ModelDirectory(url: Self.denseDirectory)
        let plain = try ModelDirectory(url: Fixtures.tinyBert)
        let a = SentenceEncoder(directory: withDense, weights: try withDense.loadFrozenWeights())
        let b = SentenceEncoder(directory: plain, weights: try plain.loadFrozenWeights())
        #expect(a.model.weights.weightsHash() == b.model.weights.weightsHash())  // the same BERT
        #expect(a.fingerprint.weightsHash != b.fingerprint.weightsHash)
        #expect(b.fingerprint.weightsHash == b.model.weights.weightsHash())  // unchanged without Dense
    }

    @Test func savedModulesReadBackEqual() throws {
        let directory = try ModelDirectory(url: Self.denseDirectory)
        let out = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        for (i, module) in directory.dense.enumerated() {
            let path = out.appendingPathComponent("\(i)")
            try module.save(directory: path)
            #expect(try DenseModule(directory: path) == module)
        }
    }

    /// dinp of `backward` against central differences of Σ out · dout, through tanh and the bias.
    @Test func backwardMatchesFiniteDifferences() throws {
        let module = try ModelDirectory(url: Self.denseDirectory).dense[0]
        let b = 3, c = module.inFeatures, oc = module.outFeatures
        var rng = SplitMix64(seed: 5)
        func uniform() -> Float { Float(rng.next() % 2001) / 1000 - 1 }
        let inp = (0..<(b * c)).map { _ in uniform() }
        let dout = (0..<(b * oc)).map { _ in uniform() }
        func objective(_ x: [Float]) -> Double {
            zip(DenseModule.apply([module], to: x, b: b, context: .serial), dout).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let out = DenseModule.apply([module], to: inp, b: b, context: .serial)
        var dinp = [Float](repeating: 0, count: b * c)
        dinp.withUnsafeMutableBufferPointer { dinp in
            module.backward(dinp: dinp.baseAddress!, dout: dout, out: out, b: b, context: .serial)
        }
        let h: Float = 1e-2
        for i in stride(from: 0, to: b * c, by: 7) {
            var plus = inp, minus = inp
            plus[i] += h
            minus[i] -= h
            let numeric = (objective(plus) - objective(minus)) / Double(2 * h)
            #expect(abs(numeric - Double(dinp[i])) <= 2e-3 * max(1, abs(numeric)), "input \(i)")
        }
    }

    @Test func writingAModelWithAnAddedDenseModuleReadsBackThePipeline() throws {
        let source = try ModelDirectory(url: Fixtures.tinyBert)
        var rng = SplitMix64(seed: 3)
        let added = DenseModule(
            inFeatures: 32, outFeatures: 32, weight: (0..<(32 * 32)).map { _ in Float(rng.next() % 2001) / 1000 - 1 },
            bias: nil, activation: .identity)
        let out = temporaryDirectory().appendingPathComponent("model")
        defer { try? FileManager.default.removeItem(at: out.deletingLastPathComponent()) }
        try ModelDirectoryWriter.write(
            parameters: try source.loadParameters(), from: source, to: out, adding: added)
        let written = try ModelDirectory(url: out)
        #expect(written.dense == [added])
        #expect(written.normalize)
        let modules = try JSONDecoder().decode(
            [SentenceTransformerModule].self, from: Data(contentsOf: out.appendingPathComponent("modules.json")))
        #expect(modules.map(\.path) == ["", "1_Pooling", "2_Dense", "2_Normalize"])
        #expect(modules.map(\.idx) == [0, 1, 2, 3])
        // The written model's embeddings are the source's pooled embeddings through the module, normalised.
        let io = try Fixtures.json("tiny_bert_dense_io.json", as: IO.self)
        let raw = try ModelDirectory(url: Fixtures.tinyBert)
        let pooledModel = BertModel(parameters: try raw.loadParameters(), pooling: raw.pooling, normalize: false)
        let batch = PackedBatch(sequences: io.sequences, typeIds: io.typeIds)
        var pooled = [Float](repeating: 0, count: batch.batchSize * 32)
        pooled.withUnsafeMutableBufferPointer {
            pooledModel.encode(batch, into: $0.baseAddress!, workspace: InferenceWorkspace(), threads: 1)
        }
        var expected = DenseModule.apply([added], to: pooled, b: batch.batchSize, context: .serial)
        for r in 0..<batch.batchSize {
            let norm = (0..<32).reduce(Float(0)) { $0 + expected[r * 32 + $1] * expected[r * 32 + $1] }.squareRoot()
            for j in 0..<32 { expected[r * 32 + j] /= norm }
        }
        let encoder = SentenceEncoder(directory: written, weights: try written.loadFrozenWeights())
        var got = [Float](repeating: 0, count: batch.batchSize * 32)
        got.withUnsafeMutableBufferPointer {
            encoder.model.encode(batch, into: $0.baseAddress!, workspace: InferenceWorkspace(), threads: 1)
        }
        #expect(maxAbsDifference(got, expected) <= 1e-5)
    }

    @Test func badDenseModulesAreRefusedNamingTheFileAndField() throws {
        let root = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        func copy(_ name: String) throws -> URL {
            let target = root.appendingPathComponent(name)
            try FileManager.default.copyItem(at: Self.denseDirectory, to: target)
            return target
        }
        func message(_ url: URL) -> String {
            do { _ = try ModelDirectory(url: url); return "" } catch { return "\(error)" }
        }
        // Another activation.
        let relu = try copy("relu")
        let config = relu.appendingPathComponent("2_Dense/config.json")
        let text = try String(contentsOf: config, encoding: .utf8)
            .replacingOccurrences(of: "torch.nn.modules.activation.Tanh", with: "torch.nn.modules.activation.ReLU")
        try text.write(to: config, atomically: true, encoding: .utf8)
        #expect(message(relu).contains("2_Dense/config.json: field \"activation_function\""))
        // A chain that does not fit: the second module after the Normalize.
        let order = try copy("order")
        let modulesURL = order.appendingPathComponent("modules.json")
        var modules = try JSONDecoder().decode([SentenceTransformerModule].self, from: Data(contentsOf: modulesURL))
        modules.swapAt(3, 4)
        try JSONEncoder().encode(modules).write(to: modulesURL)
        #expect(message(order).contains("modules.json: field \"type\" a Dense module after Normalize"))
        // in_features that do not match the embedding before.
        let skipped = try copy("skipped")
        let skippedModules = skipped.appendingPathComponent("modules.json")
        var list = try JSONDecoder().decode([SentenceTransformerModule].self, from: Data(contentsOf: skippedModules))
        list.remove(at: 2)
        try JSONEncoder().encode(list).write(to: skippedModules)
        #expect(message(skipped).contains("3_Dense/config.json: field \"in_features\" is 16 but the embedding before it has 32 values"))
        // A weight of the wrong shape.
        let shape = try copy("shape")
        try FileManager.default.removeItem(at: shape.appendingPathComponent("3_Dense/model.safetensors"))
        try FileManager.default.copyItem(
            at: shape.appendingPathComponent("2_Dense/model.safetensors"), to: shape.appendingPathComponent("3_Dense/model.safetensors"))
        #expect(message(shape).contains("3_Dense/model.safetensors: tensor \"linear.weight\" has shape [16, 32], expected [24, 16]"))
    }
}
