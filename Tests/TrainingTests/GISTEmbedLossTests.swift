import Foundation
import Tensor
import Testing
@testable import Training

/// GISTEmbedLoss beyond the upstream fixtures: the symmetric direction, identical-text keys and several
/// negative columns, by finite differences, and the masking rule on a case worked by hand.
struct GISTEmbedLossTests {
    func random(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in rng.nextUniform() * 2 - 1 }
    }

    @Test(arguments: [false, true])
    func gradientEqualsFiniteDifferences(symmetric: Bool) {
        let b = 5, d = 8, columns = 4, g = 6
        let embeddings = random(b * columns * d, seed: 3)
        let guide = GuideEmbeddings(rows: random(b * columns * g, seed: 4), dimension: g)
        // pair 3 repeats pair 0's positive text: keys mask it, whatever the guide says
        let keys = InfoNCEKeys(anchors: [0, 1, 2, 3, 4], positives: [5, 6, 7, 5, 8],
                               negatives: [[9, 10, 11, 12, 13], [14, 15, 16, 17, 18]])
        let batch = BatchContext(batchSize: b, dimension: d, keys: keys,
                                 guide: GuideBatch(embeddings: guide.rows, dimension: g))
        let loss = GISTEmbedLoss(scale: 5, margin: 0.1, marginStrategy: .relative, symmetric: symmetric)
        let (value, gradient) = loss.lossAndGradient(embeddings: embeddings, batch: batch)
        #expect(value.isFinite && value > 0)
        let h: Float = 1e-3
        var worst: Float = 0
        let scale = gradient.map(abs).max() ?? 0
        #expect(scale > 0)
        for k in stride(from: 0, to: embeddings.count, by: 3) {
            var plus = embeddings, minus = embeddings
            plus[k] += h
            minus[k] -= h
            let numeric = (loss.lossAndGradient(embeddings: plus, batch: batch).loss
                - loss.lossAndGradient(embeddings: minus, batch: batch).loss) / (2 * h)
            worst = max(worst, abs(numeric - gradient[k]))
        }
        #expect(worst / scale <= 5e-3, "worst finite-difference error \(worst) against \(scale)")
    }

    /// Two pairs, no negatives, scale 1. The guide rates anchor 0 closer to positive 1 (0.9) than to its
    /// own positive (0.8): positive 1 leaves anchor 0's softmax; anchor 1 keeps everything.
    @Test func candidatesTheGuideRatesAboveThePositiveLeaveTheSoftmax() {
        let e: [Float] = [1, 0, 0, 1, 1, 0, 0, 1]  // anchors (1,0), (0,1); positives (1,0), (0,1)
        let a0: [Float] = [1, 0, 0], a1: [Float] = [0, 1, 0]
        let p0: [Float] = [0.8, 0.6, 0], p1: [Float] = [0.9, 0, 0.43588989]
        let guide = GuideBatch(embeddings: a0 + a1 + p0 + p1, dimension: 3)
        let loss = GISTEmbedLoss(scale: 1, margin: 0)
        let value = loss.lossAndGradient(embeddings: e, batch: BatchContext(batchSize: 2, dimension: 2, guide: guide)).loss
        // anchor 0: ap [1, masked], aa [self, cos(a0,a1)=0], pp [self, cos(p0,p1)=0]; guide: g_aa[0,1]=0, g_pp[0,1]=0.72
        //   below 0.8, kept -> logits {1, 0, 0}
        // anchor 1: ap [0, 1], aa [0, self], pp [0, self]; thr = g_ap[1,1] = 0 -> g_ap[1,0]=0.6 > 0 masked,
        //   g_aa[1,0]=0 kept, g_pp[1,0]=0.72 masked -> logits {1, 0}
        let expected = (-log(exp(1.0) / (exp(1.0) + 2)) - log(exp(1.0) / (exp(1.0) + 1))) / 2
        #expect(abs(Double(value) - expected) <= 1e-5, "\(value) vs \(expected)")
    }
}
