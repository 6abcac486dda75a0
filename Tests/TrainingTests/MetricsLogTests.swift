@testable import Datasets
import Encoder
import Foundation
@testable import Reports
import Testing
@testable import Training

/// metrics.jsonl as a short real run on the tiny BERT writes it: per-layer gradient norms on every step
/// line, read back by `RunMetrics` and drawn by `LearningCurvePlot`.
struct MetricsLogTests {
    @Test func stepLinesCarryPerLayerGradientNormsThatMakeUpTheGlobalNorm() throws {
        let directory = try ModelDirectory(url: GradientCheckTests.tinyBert)
        let pairs = TrainingPairs(GradientCheck.pairs.map { TrainingPair(anchor: $0.anchor, positive: $0.positive) })
        var configuration = TrainingConfiguration(lora: LoRAConfig(r: 2, alpha: 4, dropout: 0))
        configuration.batchSize = 2
        configuration.maxSteps = 3
        configuration.dropout = 0
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString)")
        let trainer = try Trainer(
            directory: directory, parameters: try directory.loadParameters(), pairs: pairs,
            configuration: configuration, output: output)
        var events: [TrainingEvent] = []
        try trainer.run(resume: false, threads: 1, progress: { events.append($0) })

        let text = try String(contentsOf: output.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        let lines = try text.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(lines.count == 3)
        for line in lines {
            let layers = try #require(line["layer_grad_norms"] as? [String: Double])
            #expect(Set(layers.keys) == ["encoder.layer.0", "encoder.layer.1"])
            let norm = try #require(line["grad_norm"] as? Double)
            let combined = layers.values.reduce(0) { $0 + $1 * $1 }.squareRoot()
            #expect(norm > 0 && abs(combined - norm) <= 1e-5 * norm, "layers \(layers), global \(norm)")
        }
        let reports = events.compactMap { if case .step(let r) = $0 { r } else { nil } }
        #expect(reports.map { $0.layerGradientNorms.map(\.layer) } == Array(repeating: ["encoder.layer.0", "encoder.layer.1"], count: 3))
        let run = try RunMetrics.load(runDirectory: output)
        #expect(run.steps.map(\.step) == [1, 2, 3] && run.name == output.lastPathComponent)
        #expect(LearningCurvePlot().render([run]).contains("data-metric=\"grad_norm\""))
    }
}
