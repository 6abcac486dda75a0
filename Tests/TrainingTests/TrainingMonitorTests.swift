import Encoder
import Foundation
import Testing
@testable import Training

/// Early warnings (issue 7 item 5) and the per-layer gradient norms they name.
struct TrainingMonitorTests {
    let layers = [
        LayerGradientNorm(layer: "embeddings", norm: 3e-9), LayerGradientNorm(layer: "encoder.layer.0", norm: 2e-9),
        LayerGradientNorm(layer: "encoder.layer.1", norm: 7e-9),
    ]

    @Test func aLossThatStopsMovingWarnsOnceAfterThreeChecks() {
        var monitor = TrainingMonitor()
        var warnings: [TrainingWarning] = []
        let losses: [Float] = [2.0, 1.8, 1.6, 0.693_147, 0.693_147, 0.693_147, 0.693_147, 0.693_147]
        for (i, loss) in losses.enumerated() {
            monitor.observe(loss: loss)
            if let w = monitor.closeWindow(step: i + 1) { warnings.append(w) }
        }
        #expect(warnings == [.lossStalled(step: 6, loss: 0.693_147, windows: 3, tolerance: 1e-4)])
        #expect(warnings.first?.description.contains("has not moved over the last 3 checks") == true)
    }

    @Test func aMovingLossNeverWarns() {
        var monitor = TrainingMonitor()
        for step in 1...50 {
            monitor.observe(loss: 2 - Float(step) * 0.01)
            #expect(monitor.closeWindow(step: step) == nil)
        }
    }

    @Test func windowsAverageTheirSteps() {
        // noisy per-step losses whose window means are equal: the window check sees a stall
        var monitor = TrainingMonitor()
        var warnings: [TrainingWarning] = []
        for window in 1...3 {
            for loss: Float in [1.0, 3.0] { monitor.observe(loss: loss) }
            if let w = monitor.closeWindow(step: window * 2) { warnings.append(w) }
        }
        #expect(warnings == [.lossStalled(step: 6, loss: 2, windows: 3, tolerance: 1e-4)])
    }

    @Test func aVanishingGradientNamesTheSmallestLayer() {
        var monitor = TrainingMonitor()
        #expect(monitor.check(gradientNorm: 0.5, layers: layers, step: 1) == nil)
        let warning = monitor.check(gradientNorm: 7.8e-9, layers: layers, step: 2)
        #expect(warning == .vanishingGradient(step: 2, norm: 7.8e-9, limit: 1e-8, layer: layers[1]))
        #expect(warning?.description.contains("encoder.layer.0") == true)
        #expect(monitor.check(gradientNorm: 7e-9, layers: layers, step: 3) == nil, "warns once while it lasts")
        #expect(monitor.check(gradientNorm: 0.5, layers: layers, step: 4) == nil)
        #expect(monitor.check(gradientNorm: 1e-9, layers: layers, step: 5) != nil, "warns again after recovering")
    }

    @Test func anExplodingGradientNamesTheLargestLayer() {
        var monitor = TrainingMonitor()
        let big = [LayerGradientNorm(layer: "embeddings", norm: 10), LayerGradientNorm(layer: "encoder.layer.5", norm: 2e4)]
        let warning = monitor.check(gradientNorm: 2e4, layers: big, step: 9)
        #expect(warning == .explodingGradient(step: 9, norm: 2e4, limit: 1e4, layer: big[1]))
        #expect(warning?.description.contains("encoder.layer.5") == true)
    }

    @Test func layersGroupTheirTensorsByHuggingFacePrefix() {
        #expect(LayerGradientNorms.layerName("encoder.layer.11.attention.self.query.lora_A.weight") == "encoder.layer.11")
        #expect(LayerGradientNorms.layerName("embeddings.LayerNorm.bias") == "embeddings")
        let block = ParameterBlock(layout: [
            ("embeddings.word_embeddings.weight", [2, 2]), ("encoder.layer.0.a.weight", [3]),
            ("encoder.layer.0.b.weight", [1]), ("encoder.layer.1.a.weight", [2]),
        ])
        let groups = LayerGradientNorms(block: block)
        #expect(groups.layers.map(\.name) == ["embeddings", "encoder.layer.0", "encoder.layer.1"])
        for (i, v) in [1, 1, 1, 1].enumerated() { block.pointer("embeddings.word_embeddings.weight")[i] = Float(v) }
        for (i, v) in [1, 2, 2].enumerated() { block.pointer("encoder.layer.0.a.weight")[i] = Float(v) }
        block.pointer("encoder.layer.0.b.weight")[0] = 4
        block.pointer("encoder.layer.1.a.weight")[0] = 0
        let norms = groups.norms(block)
        #expect(norms.map(\.norm) == [2, 5, 0])
    }
}
