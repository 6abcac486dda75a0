import Tensor

/// Guided in-batch negative selection (GISTEmbed, Solatorio 2024, arXiv 2402.16829), with the semantics
/// of sentence-transformers' `GISTEmbedLoss` (sentence_transformer/losses/gist_embed.py):
///
///     blocks  = [ap, aa, pp, an_1, ..., an_H]        # ap = cos(anchor_i, positive_j), aa = cos(anchor_i, anchor_j),
///                                                    # pp = cos(positive_i, positive_j), an_h = cos(anchor_i, negative_h_j)
///     thr_i   = g_ap[i, i] - margin                  # "absolute";  g_ap[i, i] - |g_ap[i, i]| * margin for "relative"
///     block[i, j] = -inf where guide_block[i, j] > thr_i   (never the target ap[i, i]; aa and pp diagonals always)
///     loss    = cross_entropy(scale * cat(blocks, dim=1), target = arange(B))
///
/// where g_* are the same similarities under the frozen guide model. Upstream takes at most one negative
/// column; here every column is a block `an_h`, which is the same loss for H <= 1. `symmetric` adds the
/// positive → anchor direction of `MultipleNegativesSymmetricRankingLoss` (rows positive_i over the
/// anchors, guided with thr_i likewise) and averages the two; `InfoNCEKeys` additionally mask identical
/// texts, as in `InfoNCELoss`.
///
/// Glossary: B = pairs, D = embedding dimension, H = hard-negative columns, K = 3 + H score blocks.
public struct GISTEmbedLoss: ContrastiveObjective {
    public enum MarginStrategy: String, Codable, Sendable, CaseIterable {
        case absolute, relative
    }

    /// 1 / temperature (upstream's default temperature 0.01 is a scale of 100).
    public var scale: Float
    public var margin: Float
    public var marginStrategy: MarginStrategy
    public var symmetric: Bool

    public init(scale: Float = 100, margin: Float = 0, marginStrategy: MarginStrategy = .absolute, symmetric: Bool = false) {
        self.scale = scale
        self.margin = margin
        self.marginStrategy = marginStrategy
        self.symmetric = symmetric
    }

    /// One score block: rows from embedding column `rows`, candidates from column `columns`.
    struct Block { var rows: Int; var columns: Int }

    public func lossAndGradient(embeddings: [Float], batch: BatchContext) -> (loss: Float, gradient: [Float]) {
        guard let guide = batch.guide else { preconditionFailure("GISTEmbedLoss needs the guide's embeddings") }
        let b = batch.batchSize, d = batch.dimension
        let columns = batch.columnCount(embeddingCount: embeddings.count)
        let s = b * columns, g = guide.dimension
        precondition(guide.embeddings.count == s * g, "the guide's batch must be (\(s), \(g))")
        let blocks = [Block(rows: 0, columns: 1), Block(rows: 0, columns: 0), Block(rows: 1, columns: 1)]
            + (2..<columns).map { Block(rows: 0, columns: $0) }
        let k = blocks.count, width = k * b

        // Ê (S, D): unit rows, norms (S) for backward
        var unit = [Float](repeating: 0, count: s * d)
        var norms = [Float](repeating: 0, count: s)
        embeddings.withUnsafeBufferPointer { inp in
            unit.withUnsafeMutableBufferPointer { out in
                norms.withUnsafeMutableBufferPointer { n in
                    RowNormalization.forward(out: out.start, norms: n.start, inp: inp.start, rows: s, dimension: d)
                }
            }
        }
        // logits (B, K B) = scale * cat_k Ê[rows_k] Ê[columns_k]ᵀ;  guided (B, K B) likewise under the guide
        var logits = [Float](repeating: 0, count: b * width)
        var guided = [Float](repeating: 0, count: b * width)
        for (index, block) in blocks.enumerated() {
            Self.blockProduct(out: &logits, offset: index * b, ld: width, matrix: unit, rows: block.rows,
                              columns: block.columns, b: b, d: d, alpha: scale, context: batch.compute)
            Self.blockProduct(out: &guided, offset: index * b, ld: width, matrix: guide.embeddings, rows: block.rows,
                              columns: block.columns, b: b, d: g, alpha: 1, context: batch.compute)
        }
        let thresholds = (0..<b).map { i in threshold(guided[i * width + i]) }
        for i in 0..<b {
            for (index, block) in blocks.enumerated() {
                for j in 0..<b {
                    let c = index * b + j
                    if index == 0 && j == i { continue }  // the target
                    let selfPair = block.rows == block.columns && j == i
                    if selfPair || guided[i * width + c] > thresholds[i] || masksByKey(batch.keys, block, i, j) {
                        logits[i * width + c] = -.infinity
                    }
                }
            }
        }
        var forwardLoss = 0.0
        for i in 0..<b {
            forwardLoss += InfoNCELoss.softmaxCrossEntropy(row: &logits[(i * width)..<((i + 1) * width)], target: i)
        }
        forwardLoss /= Double(b)

        // dlogits = w/B (softmax - onehot), w = 1/2 when symmetric; logits now hold the softmax
        let weight = (symmetric ? 0.5 : 1) / Float(b)
        var dLogits = logits
        for i in 0..<b { dLogits[i * width + i] -= 1 }
        for q in dLogits.indices { dLogits[q] *= weight }

        var loss = forwardLoss
        if symmetric {
            // positive i over the anchors: T[i, j] = ap[j, i], masked by the guide's view of the same pair
            var reverse = [Float](repeating: 0, count: b * b)
            Self.blockProduct(
                out: &reverse, offset: 0, ld: b, matrix: unit, rows: 1, columns: 0, b: b, d: d, alpha: scale,
                context: batch.compute)
            for i in 0..<b {
                for j in 0..<b where j != i {
                    let masked = guided[j * width + i] > thresholds[i]
                        || batch.keys?.masksBackward(positive: i, anchor: j) == true
                    if masked { reverse[i * b + j] = -.infinity }
                }
            }
            var backwardLoss = 0.0
            for i in 0..<b {
                backwardLoss += InfoNCELoss.softmaxCrossEntropy(row: &reverse[(i * b)..<((i + 1) * b)], target: i)
            }
            backwardLoss /= Double(b)
            loss = (forwardLoss + backwardLoss) / 2
            for i in 0..<b {
                for j in 0..<b { dLogits[j * width + i] += weight * (reverse[i * b + j] - (i == j ? 1 : 0)) }
            }
        }

        // logits_k = scale Ê[r] Ê[c]ᵀ  =>  dÊ[r] += scale dS_k Ê[c],  dÊ[c] += scale dS_kᵀ Ê[r]
        var dUnit = [Float](repeating: 0, count: s * d)
        dLogits.withUnsafeBufferPointer { dl in
            unit.withUnsafeBufferPointer { e in
                dUnit.withUnsafeMutableBufferPointer { de in
                    for (index, block) in blocks.enumerated() {
                        let dS = dl.start + index * b
                        let er = e.start + block.rows * b * d, ec = e.start + block.columns * b * d
                        gemm(.none, .none, m: b, n: d, k: b, alpha: scale, a: dS, lda: width, b: ec,
                             beta: 1, c: de.start + block.rows * b * d, context: batch.compute)
                        gemm(.transposed, .none, m: b, n: d, k: b, alpha: scale, a: dS, lda: width, b: er,
                             beta: 1, c: de.start + block.columns * b * d, context: batch.compute)
                    }
                }
            }
        }
        var gradient = [Float](repeating: 0, count: s * d)
        gradient.withUnsafeMutableBufferPointer { dx in
            RowNormalization.backward(dinp: dx.start, dout: dUnit, out: unit, norms: norms, rows: s, dimension: d)
        }
        return (Float(loss), gradient)
    }

    func threshold(_ positive: Float) -> Float {
        switch marginStrategy {
        case .absolute: return positive - margin
        case .relative: return positive - abs(positive) * margin
        }
    }

    /// Identical texts leave the softmax as in `InfoNCELoss` (`InfoNCEKeys`).
    func masksByKey(_ keys: InfoNCEKeys?, _ block: Block, _ i: Int, _ j: Int) -> Bool {
        guard let keys else { return false }
        switch (block.rows, block.columns) {
        case (0, 0): return keys.anchors[j] == keys.anchors[i] || keys.anchors[j] == keys.positives[i]
        case (1, 1): return keys.positives[j] == keys.positives[i]
        default: return keys.masksForward(anchor: i, column: block.columns - 1, candidate: j)
        }
    }

    /// out[:, offset ..< offset + B] (row stride ld) = alpha * M[rows] M[columns]ᵀ, where M[c] is the
    /// c-th (B, dim) column block of `matrix`.
    static func blockProduct(out: inout [Float], offset: Int, ld: Int, matrix: [Float], rows: Int, columns: Int,
                             b: Int, d: Int, alpha: Float, context: ComputeContext) {
        matrix.withUnsafeBufferPointer { m in
            out.withUnsafeMutableBufferPointer { o in
                gemm(.none, .transposed, m: b, n: b, k: d, alpha: alpha, a: m.start + rows * b * d,
                     b: m.start + columns * b * d, c: o.start + offset, ldc: ld, context: context)
            }
        }
    }
}
