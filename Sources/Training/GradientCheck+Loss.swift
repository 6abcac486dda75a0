import Foundation

extension GradientCheck {
    /// The InfoNCE loss of `InfoNCELoss` (same definition: scale · cosine scores, cross-entropy against
    /// the diagonal, optional symmetric direction and false-negative masks) computed in Double from the
    /// Float32 pooled embeddings. `InfoNCELoss.forward` rounds its scores (up to `scale` in size) to
    /// Float32, whose spacing, about 1e-6, would swamp the loss differences a finite difference
    /// measures; here only the embeddings carry Float32 rounding.
    ///
    /// pooled: (S, D) anchors, positives, then each negative column, as `ContrastiveBatch.sequences`.
    static func preciseLoss(pooled: [Float], batch: ContrastiveBatch, loss: InfoNCELoss, dimension d: Int) -> Double {
        let b = batch.size, columns = 1 + batch.negatives.count, m = b * columns
        precondition(pooled.count == (b + m) * d, "pooled must hold every sequence of the batch")
        // unit rows (S, D), normalize(p=2, eps=1e-12)
        var unit = [Double](repeating: 0, count: pooled.count)
        for row in 0..<(b + m) {
            var sum = 0.0
            for k in 0..<d { sum += Double(pooled[row * d + k]) * Double(pooled[row * d + k]) }
            let inverse = 1 / max(sum.squareRoot(), 1e-12)
            for k in 0..<d { unit[row * d + k] = Double(pooled[row * d + k]) * inverse }
        }
        func score(_ i: Int, _ j: Int) -> Double {  // anchor i, candidate j (0..<M)
            var dot = 0.0
            for k in 0..<d { dot += unit[i * d + k] * unit[(b + j) * d + k] }
            return Double(loss.scale) * dot
        }
        func crossEntropy(_ logits: [Double], target: Int) -> Double {
            let top = logits.max() ?? 0
            return top + log(logits.reduce(0.0) { $0 + exp($1 - top) }) - logits[target]
        }
        var forward = 0.0
        for i in 0..<b {
            let logits = (0..<m).map { j in
                batch.keys?.masksForward(anchor: i, column: j / b, candidate: j % b) == true ? -Double.infinity : score(i, j)
            }
            forward += crossEntropy(logits, target: i)
        }
        forward /= Double(b)
        guard loss.symmetric else { return forward }
        var backward = 0.0
        for i in 0..<b {
            let logits = (0..<b).map { j in
                batch.keys?.masksBackward(positive: i, anchor: j) == true ? -Double.infinity : score(j, i)
            }
            backward += crossEntropy(logits, target: i)
        }
        return (forward + backward / Double(b)) / 2
    }
}
