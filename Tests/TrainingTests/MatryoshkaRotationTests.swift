@testable import Datasets
import Encoder
import Foundation
import Tensor
import Testing
@testable import Training

/// The Jacobi eigensolver, the rotation fitted from it, and a Matryoshka run that trains under the
/// rotation and saves it with the adapter or the full model.
struct MatryoshkaRotationTests {
    func randomSymmetric(_ n: Int, seed: UInt64) -> [Double] {
        var rng = SplitMix64(seed: seed)
        var a = [Double](repeating: 0, count: n * n)
        for i in 0..<n {
            for j in i..<n {
                let x = Double(rng.next() % 20001) / 10000 - 1
                a[i * n + j] = x
                a[j * n + i] = x
            }
        }
        return a
    }

    @Test(arguments: [1, 2, 7, 40])
    func eigenpairsReconstructTheMatrix(n: Int) {
        let a = randomSymmetric(n, seed: UInt64(n))
        let eigen = SymmetricEigen(matrix: a, order: n)
        #expect(zip(eigen.values, eigen.values.dropFirst()).allSatisfy { $0 >= $1 })
        for i in 0..<n {
            // A v_i = λ_i v_i
            for r in 0..<n {
                var av = 0.0
                for c in 0..<n { av += a[r * n + c] * eigen.vectors[i * n + c] }
                #expect(abs(av - eigen.values[i] * eigen.vectors[i * n + r]) <= 1e-9, "pair \(i), row \(r)")
            }
            // orthonormal rows
            for j in 0..<n {
                var dot = 0.0
                for c in 0..<n { dot += eigen.vectors[i * n + c] * eigen.vectors[j * n + c] }
                #expect(abs(dot - (i == j ? 1 : 0)) <= 1e-9)
            }
        }
    }

    @Test func theRotationIsOrthogonalAndPutsTheDominantDirectionFirst() {
        // Unit rows spread mostly along (1, 1, 0, 0)/√2, a little along the other axes.
        let d = 4
        var rng = SplitMix64(seed: 1)
        var rows: [Float] = []
        for _ in 0..<200 {
            let noise = (0..<d).map { _ in Float(rng.next() % 2001) / 10000 - 0.1 }
            let sign: Float = rng.next() % 2 == 0 ? 1 : -1
            var v = (0..<d).map { sign * (($0 < 2) ? 1 : 0) + noise[$0] }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / norm }
            rows += v
        }
        let rotation = MatryoshkaRotation.fit(rows: rows, dimension: d)
        #expect(rotation.inFeatures == d && rotation.outFeatures == d && rotation.bias == nil)
        #expect(rotation.activation == .identity)
        let w = rotation.weight
        for i in 0..<d {
            for j in 0..<d {
                let dot = (0..<d).reduce(Float(0)) { $0 + w[i * d + $1] * w[j * d + $1] }
                #expect(abs(dot - (i == j ? 1 : 0)) <= 1e-5)
            }
        }
        #expect(abs(w[0] - 0.7071) < 0.05 && abs(w[1] - 0.7071) < 0.05)
        // Cosines of the full rotated rows are the cosines of the rows.
        let rotated = DenseModule.apply([rotation], to: Array(rows[0..<(2 * d)]), b: 2, context: .serial)
        let before = (0..<d).reduce(Float(0)) { $0 + rows[$1] * rows[d + $1] }
        let after = (0..<d).reduce(Float(0)) { $0 + rotated[$1] * rotated[d + $1] }
        #expect(abs(before - after) <= 1e-5)
    }

    func configuration(lora: Bool) -> TrainingConfiguration {
        var c = TrainingConfiguration(lora: lora ? LoRAConfig(r: 4, alpha: 8, dropout: 0) : nil)
        c.epochs = 1
        c.batchSize = 8
        c.learningRate = 1e-3
        c.dropout = 0
        c.matryoshkaDimensions = [32, 16, 8]
        c.matryoshkaRotation = true
        return c
    }

    @Test(arguments: [true, false])
    func theRotationIsSavedAndTheSavedModelEmbedsAsTheTrainer(lora: Bool) throws {
        let helper = TrainerTests()
        let output = helper.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        let trainer = try helper.trainer(configuration(lora: lora), output: output)
        try trainer.run(resume: false, threads: 1)
        let rotation = try #require(trainer.rotation)
        let texts = ["how to open a file", "socket signal process", "memory lock queue"]
        let expected = try trainer.inferenceEncoder().encode(texts)
        let saved: SentenceEncoder
        if lora {
            #expect(try LoRAAdapter.projection(in: output) == rotation)
            saved = try SentenceEncoder(modelDirectory: TrainerTests.tinyBert, adapterDirectory: output)
        } else {
            #expect(try ModelDirectory(url: output).dense == [rotation])
            saved = try SentenceEncoder(modelDirectory: output)
        }
        #expect(saved.dimension == 32)
        let got = saved.encode(texts)
        #expect(zip(got, expected).allSatisfy { abs($0 - $1) <= 1e-5 })
        // The rotation changed the coordinates: the base model's embeddings are not the saved model's
        // before training moved far (their cosines agree, their prefixes differ).
        let base = try SentenceEncoder(modelDirectory: TrainerTests.tinyBert).encode(texts)
        #expect(zip(got, base).contains { abs($0 - $1) > 1e-2 })
    }

    @Test func aResumedRunTrainsUnderTheSavedRotation() throws {
        let helper = TrainerTests()
        let whole = helper.temporaryDirectory(), interrupted = helper.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: whole); try? FileManager.default.removeItem(at: interrupted) }
        var c = configuration(lora: true)
        c.saveEvery = 1
        let reference = try helper.trainer(c, output: whole)
        try reference.run(resume: false, threads: 1)
        try helper.trainer(c, output: interrupted).run(resume: false, threads: 1, stopAfterStep: 2)
        #expect(FileManager.default.fileExists(
            atPath: Checkpoint.directory(in: interrupted).appendingPathComponent("rotation/model.safetensors").path))
        let resumed = try helper.trainer(c, output: interrupted)
        try resumed.run(resume: true, threads: 1)
        #expect(resumed.rotation == reference.rotation)
        let a = Array(reference.model.trainable.storage.buffer), b = Array(resumed.model.trainable.storage.buffer)
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-6 })
    }

    @Test func aRunWithoutRotationRemovesAnEarlierRunsProjection() throws {
        let helper = TrainerTests()
        let output = helper.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: output) }
        try helper.trainer(configuration(lora: true), output: output).run(resume: false, threads: 1)
        #expect(try LoRAAdapter.projection(in: output) != nil)
        var plain = configuration(lora: true)
        plain.matryoshkaRotation = nil
        try helper.trainer(plain, output: output).run(resume: false, threads: 1)
        #expect(try LoRAAdapter.projection(in: output) == nil)
    }

    @Test func theRotationNeedsMatryoshkaDimensions() {
        var c = TrainingConfiguration(lora: LoRAConfig(r: 4, alpha: 8, dropout: 0))
        c.matryoshkaRotation = true
        #expect(throws: TrainingError.self) { try c.validate() }
    }
}
