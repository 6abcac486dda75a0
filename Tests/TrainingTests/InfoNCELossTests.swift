import Foundation
import Tensor
import Testing
@testable import Training

@Suite struct InfoNCELossTests {
    @Test func lossAndGradientsEqualTorchAutograd() throws {
        let reference = try Fixtures.reference()
        #expect(reference.losses.count == 8)
        for c in reference.losses {
            let loss = InfoNCELoss(scale: c.scale, symmetric: c.symmetric)
            let keys = c.keys.map { InfoNCEKeys(anchors: $0.anchors, positives: $0.positives, negatives: $0.negatives) }
            let forward = loss.forward(anchors: c.anchors, candidates: c.candidates, dimension: reference.D, keys: keys)
            #expect(abs(forward.loss - c.loss) <= 1e-5 * max(1, abs(c.loss)), "\(c.name): loss \(forward.loss) vs \(c.loss)")
            let gradients = loss.backward(forward)
            #expect(relativeError(gradients.anchors, c.dAnchors) < 1e-4, "\(c.name): dAnchors")
            #expect(gradients.candidates.count == c.dCandidates.count)
            for (ours, theirs) in zip(gradients.candidates, c.dCandidates) {
                #expect(relativeError(ours, theirs) < 1e-4, "\(c.name): dCandidates")
            }
        }
    }

    @Test func maskingChangesTheLossOnlyWhenTextsRepeat() throws {
        let reference = try Fixtures.reference()
        let c = try #require(reference.losses.first { $0.name == "hard_negative" })
        let b = reference.B
        let loss = InfoNCELoss()
        let unmasked = loss.forward(anchors: c.anchors, candidates: c.candidates, dimension: reference.D).loss
        let distinct = InfoNCEKeys(anchors: Array(0..<b), positives: Array(100..<(100 + b)), negatives: [Array(200..<(200 + b))])
        #expect(loss.forward(anchors: c.anchors, candidates: c.candidates, dimension: reference.D, keys: distinct).loss == unmasked)
        // pair 1 repeats pair 0's positive: masking removes terms from the denominator, so the loss drops
        var repeated = distinct
        repeated.positives[1] = repeated.positives[0]
        let masked = loss.forward(anchors: c.anchors, candidates: c.candidates, dimension: reference.D, keys: repeated).loss
        #expect(masked < unmasked)
    }

    @Test func keysMaskFalseNegativesButNeverTheTarget() {
        let keys = InfoNCEKeys(anchors: [1, 2, 1], positives: [10, 11, 12], negatives: [[10, 20, 21]])
        #expect(!keys.masksForward(anchor: 0, column: 0, candidate: 0))
        #expect(keys.masksForward(anchor: 0, column: 0, candidate: 2))   // same anchor text
        #expect(!keys.masksForward(anchor: 0, column: 0, candidate: 1))
        #expect(keys.masksForward(anchor: 0, column: 1, candidate: 0) == true)  // negative equal to own positive
        #expect(!keys.masksForward(anchor: 2, column: 1, candidate: 0))  // a hard negative of the same anchor stays
        #expect(keys.masksBackward(positive: 2, anchor: 0))
        #expect(!keys.masksBackward(positive: 1, anchor: 1))
    }

    /// Central differences in double precision around a Float forward: the step is large enough for
    /// float rounding to stay small, and the check is on directional derivatives along random directions.
    @Test(arguments: [(false, 0), (false, 1), (true, 1)])
    func backwardMatchesFiniteDifferences(symmetric: Bool, negatives: Int) {
        let b = 4, d = 8
        var rng = SplitMix64(seed: 7)
        let anchors = (0..<(b * d)).map { _ in rng.normal() }
        let candidates = (0...negatives).map { _ in (0..<(b * d)).map { _ in rng.normal() } }
        let keys = InfoNCEKeys(anchors: [0, 1, 0, 2], positives: [5, 6, 7, 8], negatives: Array(repeating: [6, 9, 9, 5], count: negatives))
        let loss = InfoNCELoss(scale: 5, symmetric: symmetric)
        let gradients = loss.backward(loss.forward(anchors: anchors, candidates: candidates, dimension: d, keys: keys))
        let h: Float = 1e-2
        for trial in 0..<6 {
            let direction = (0..<(b * d * (2 + negatives))).map { _ in rng.normal() }
            func shifted(_ t: Float) -> Float {
                var a = anchors, c = candidates
                for k in 0..<(b * d) { a[k] += t * direction[k] }
                for col in 0..<c.count { for k in 0..<(b * d) { c[col][k] += t * direction[(col + 1) * b * d + k] } }
                return loss.forward(anchors: a, candidates: c, dimension: d, keys: keys).loss
            }
            let numeric = (shifted(h) - shifted(-h)) / (2 * h)
            var analytic: Float = 0
            for k in 0..<(b * d) { analytic += gradients.anchors[k] * direction[k] }
            for col in 0..<candidates.count { for k in 0..<(b * d) { analytic += gradients.candidates[col][k] * direction[(col + 1) * b * d + k] } }
            #expect(abs(numeric - analytic) <= 2e-3 * max(1, abs(analytic)), "trial \(trial): \(numeric) vs \(analytic)")
        }
    }

    @Test func upstreamGradientScalesTheResult() throws {
        let c = try #require(try Fixtures.reference().losses.first { $0.name == "symmetric" })
        let loss = InfoNCELoss(symmetric: true)
        let forward = loss.forward(anchors: c.anchors, candidates: c.candidates, dimension: 16)
        let once = loss.backward(forward), half = loss.backward(forward, dLoss: 0.5)
        #expect(relativeError(half.anchors.map { $0 * 2 }, once.anchors) < 1e-6)
    }
}

extension SplitMix64 {
    /// A standard normal value (Box–Muller), for test inputs.
    mutating func normal() -> Float {
        let u = max(Double(next() >> 11) * 0x1p-53, 1e-300), v = Double(next() >> 11) * 0x1p-53
        return Float((-2 * log(u)).squareRoot() * cos(2 * Double.pi * v))
    }
}
