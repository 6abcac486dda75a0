import Foundation
import Tensor

/// InfoNCE over in-batch negatives (van den Oord et al. 2018; Henderson et al. 2017 §4.4), with the
/// semantics of sentence-transformers' `MultipleNegativesRankingLoss` (losses/multiple_negatives_ranking.py):
///
///     candidates = cat([positives, negatives_1, ..., negatives_H])            # (M, D), M = B (1 + H)
///     scores     = scale * cos_sim(anchors, candidates)                        # (B, M)
///     loss       = cross_entropy(scores, target = arange(B))                   # mean over anchors
///
/// `symmetric` is `MultipleNegativesSymmetricRankingLoss` (directions query_to_doc and doc_to_query,
/// partition per direction): each positive also picks its own anchor among the B anchors
/// (hard negatives take no part in that direction) and the loss is (forward + backward) / 2.
///
/// With `InfoNCEKeys`, in-batch false negatives (see `InfoNCEKeys.masksForward`) get a score of
/// -infinity, so they leave the softmax denominator; with no keys this is exactly the upstream loss.
///
/// Inputs are raw embeddings: cos_sim normalises rows with `normalize(p=2, eps=1e-12)` first, and the
/// gradients flow back through that normalisation.
///
/// Glossary: B = pairs in the batch, D = embedding dimension, H = hard-negative columns,
/// M = B (1 + H) candidates.
public struct InfoNCELoss: Sendable {
    /// Multiplies the cosine similarities (1 / temperature); 20 in sentence-transformers.
    public var scale: Float
    /// Adds the positive → anchor direction.
    public var symmetric: Bool

    public init(scale: Float = 20, symmetric: Bool = false) {
        self.scale = scale
        self.symmetric = symmetric
    }

    /// The loss and what `backward` needs.
    public struct Forward: Sendable {
        public let loss: Float
        public let batchSize: Int
        public let dimension: Int
        /// 1 + H: the positive column and the hard-negative columns.
        public let columnCount: Int
        let anchorsNormalized: [Float]      // (B, D)
        let anchorNorms: [Float]            // (B)
        let candidatesNormalized: [Float]   // (M, D)
        let candidateNorms: [Float]         // (M)
        let forwardProbabilities: [Float]   // (B, M) softmax of the anchor → candidate scores
        let backwardProbabilities: [Float]  // (B, B) softmax of the positive → anchor scores; empty unless symmetric
    }

    /// Gradients of the loss with respect to the raw embeddings.
    public struct Gradients: Sendable {
        /// (B, D)
        public var anchors: [Float]
        /// (1 + H) columns of (B, D): the positives first, then each hard-negative column.
        public var candidates: [[Float]]
    }

    /// anchors (B, D); candidates: the positives (B, D) followed by zero or more hard-negative
    /// columns, each (B, D); keys: text identities for false-negative masking, or nil for none.
    /// Products on `context`.
    public func forward(
        anchors: [Float], candidates: [[Float]], dimension: Int, keys: InfoNCEKeys? = nil,
        context: ComputeContext = .serial
    ) -> Forward {
        precondition(dimension > 0, "embedding dimension must be positive")
        precondition(!candidates.isEmpty, "the positives are the first candidate column")
        precondition(anchors.count % dimension == 0, "anchors hold \(anchors.count) values, not a multiple of \(dimension)")
        let b = anchors.count / dimension
        precondition(b > 0, "empty batch")
        precondition(candidates.allSatisfy { $0.count == b * dimension }, "every candidate column must be (\(b), \(dimension))")
        let columns = candidates.count, m = b * columns
        if let keys {
            precondition(keys.anchors.count == b, "\(keys.anchors.count) keys for a batch of \(b)")
            precondition(keys.negatives.count == columns - 1, "\(keys.negatives.count) negative key columns for \(columns - 1) negative columns")
        }

        var anchorsNormalized = [Float](repeating: 0, count: b * dimension)
        var anchorNorms = [Float](repeating: 0, count: b)
        anchors.withUnsafeBufferPointer { inp in
            anchorsNormalized.withUnsafeMutableBufferPointer { out in
                anchorNorms.withUnsafeMutableBufferPointer { norms in
                    RowNormalization.forward(out: out.start, norms: norms.start,
                                             inp: inp.start, rows: b, dimension: dimension)
                }
            }
        }
        var candidatesNormalized = [Float](repeating: 0, count: m * dimension)
        var candidateNorms = [Float](repeating: 0, count: m)
        candidatesNormalized.withUnsafeMutableBufferPointer { out in
            candidateNorms.withUnsafeMutableBufferPointer { norms in
                for (c, column) in candidates.enumerated() {
                    column.withUnsafeBufferPointer { inp in
                        RowNormalization.forward(out: out.start + c * b * dimension, norms: norms.start + c * b,
                                                 inp: inp.start, rows: b, dimension: dimension)
                    }
                }
            }
        }

        // scores = scale * Â Ĉᵀ   (B, M)
        var scores = [Float](repeating: 0, count: b * m)
        anchorsNormalized.withUnsafeBufferPointer { a in
            candidatesNormalized.withUnsafeBufferPointer { c in
                scores.withUnsafeMutableBufferPointer { s in
                    gemm(.none, .transposed, m: b, n: m, k: dimension, alpha: scale,
                         a: a.start, b: c.start, c: s.start, context: context)
                }
            }
        }
        if let keys {
            for i in 0..<b {
                for c in 0..<m where keys.masksForward(anchor: i, column: c / b, candidate: c % b) {
                    scores[i * m + c] = -.infinity
                }
            }
        }
        var forwardProbabilities = scores
        var forwardLoss = 0.0
        for i in 0..<b {
            forwardLoss += Self.softmaxCrossEntropy(row: &forwardProbabilities[(i * m)..<((i + 1) * m)], target: i)
        }
        forwardLoss /= Double(b)

        var loss = forwardLoss
        var backwardProbabilities: [Float] = []
        if symmetric {
            // scores of positive i against anchor j are scores[j, i] (the positive column block, transposed)
            backwardProbabilities = [Float](repeating: 0, count: b * b)
            for i in 0..<b {
                for j in 0..<b {
                    backwardProbabilities[i * b + j] = keys?.masksBackward(positive: i, anchor: j) == true
                        ? -.infinity : scores[j * m + i]
                }
            }
            var backwardLoss = 0.0
            for i in 0..<b {
                backwardLoss += Self.softmaxCrossEntropy(row: &backwardProbabilities[(i * b)..<((i + 1) * b)], target: i)
            }
            backwardLoss /= Double(b)
            loss = (forwardLoss + backwardLoss) / 2
        }
        return Forward(
            loss: Float(loss), batchSize: b, dimension: dimension, columnCount: columns,
            anchorsNormalized: anchorsNormalized, anchorNorms: anchorNorms,
            candidatesNormalized: candidatesNormalized, candidateNorms: candidateNorms,
            forwardProbabilities: forwardProbabilities, backwardProbabilities: backwardProbabilities)
    }

    /// d(dLoss * loss) / d(inputs) of `forward`'s inputs. Returns fresh arrays (nothing accumulates).
    /// Products on `context`.
    public func backward(_ forward: Forward, dLoss: Float = 1, context: ComputeContext = .serial) -> Gradients {
        let b = forward.batchSize, d = forward.dimension, columns = forward.columnCount, m = b * columns
        // loss = w (1/B) sum_i [lse(scores_i) - scores_ii] (+ w (1/B) sum_i [lse(T_i) - T_ii], T = scoresᵀ on the positive block)
        // => dscores = w/B (softmax - onehot), with w = 1/2 when symmetric
        let weight = dLoss * (symmetric ? 0.5 : 1) / Float(b)
        var dScores = forward.forwardProbabilities  // (B, M)
        for i in 0..<b { dScores[i * m + i] -= 1 }
        for k in 0..<(b * m) { dScores[k] *= weight }
        if symmetric {
            for i in 0..<b {
                for j in 0..<b {
                    let p = forward.backwardProbabilities[i * b + j] - (i == j ? 1 : 0)
                    dScores[j * m + i] += weight * p
                }
            }
        }
        // scores = scale * Â Ĉᵀ  =>  dÂ = scale * dScores Ĉ (B, D),  dĈ = scale * dScoresᵀ Â (M, D)
        var dAnchorsNormalized = [Float](repeating: 0, count: b * d)
        var dCandidatesNormalized = [Float](repeating: 0, count: m * d)
        dScores.withUnsafeBufferPointer { g in
            forward.candidatesNormalized.withUnsafeBufferPointer { c in
                dAnchorsNormalized.withUnsafeMutableBufferPointer { out in
                    gemm(.none, .none, m: b, n: d, k: m, alpha: scale, a: g.start, b: c.start, c: out.start, context: context)
                }
            }
            forward.anchorsNormalized.withUnsafeBufferPointer { a in
                dCandidatesNormalized.withUnsafeMutableBufferPointer { out in
                    gemm(.transposed, .none, m: m, n: d, k: b, alpha: scale, a: g.start, b: a.start, c: out.start, context: context)
                }
            }
        }
        // through the row normalisations
        var dAnchors = [Float](repeating: 0, count: b * d)
        dAnchors.withUnsafeMutableBufferPointer { dx in
            RowNormalization.backward(dinp: dx.start, dout: dAnchorsNormalized, out: forward.anchorsNormalized,
                                      norms: forward.anchorNorms, rows: b, dimension: d)
        }
        var dCandidates: [[Float]] = []
        dCandidates.reserveCapacity(columns)
        for c in 0..<columns {
            var dColumn = [Float](repeating: 0, count: b * d)
            dColumn.withUnsafeMutableBufferPointer { dx in
                dCandidatesNormalized.withUnsafeBufferPointer { g in
                    forward.candidatesNormalized.withUnsafeBufferPointer { y in
                        forward.candidateNorms.withUnsafeBufferPointer { n in
                            RowNormalization.backward(dinp: dx.start, dout: g.start + c * b * d,
                                                      out: y.start + c * b * d, norms: n.start + c * b,
                                                      rows: b, dimension: d)
                        }
                    }
                }
            }
            dCandidates.append(dColumn)
        }
        return Gradients(anchors: dAnchors, candidates: dCandidates)
    }

    /// Replaces a row of logits by its softmax and returns -log softmax[target] (the row's cross-entropy).
    /// Entries of -infinity get probability 0; the target is never -infinity.
    static func softmaxCrossEntropy(row: inout ArraySlice<Float>, target: Int) -> Double {
        let t = row.startIndex + target
        let maximum = row.max() ?? 0
        let shiftedTarget = Double(row[t] - maximum)
        var total = 0.0
        for k in row.indices {
            let e = exp(row[k] - maximum)
            row[k] = e
            total += Double(e)
        }
        let logTarget = shiftedTarget - log(total)
        let inverse = Float(1 / total)
        for k in row.indices { row[k] *= inverse }
        return -logTarget
    }
}
