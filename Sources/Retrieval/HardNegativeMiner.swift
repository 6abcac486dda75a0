import Encoder
import Store
import Tensor

/// Hard-negative mining with the semantics of sentence-transformers' `mine_hard_negatives`
/// (sentence_transformers/util/hard_negatives.py, `output_format="n-tuple"`): embed the corpus and
/// the distinct anchors with a frozen model, rank the corpus for every anchor by exact cosine
/// similarity (`TopK.searchBatch`), drop the anchor's own text and its positives, filter by margin
/// and score, and keep `numNegatives` negatives per anchor (`NegativeSelection`).
///
/// Differences from upstream, on purpose: a positive is also excluded by document id (so a
/// document with the positive's id but other text is never its negative); rows come in the order
/// their (anchor, positive) pair first appears in the input (upstream groups them by anchor); and
/// `.random` sampling draws from `SplitMix64`, not Python's `random`.
///
/// Glossary: N = unique corpus texts, Q = distinct anchors, D = embedding dimension.
public struct HardNegativeMiner {
    public var options: HardNegativeMiningOptions
    /// Threads of the exact search.
    public var threads = 1
    /// Anchors per block of the search (one progress event each).
    public var searchBlock = 512

    public init(options: HardNegativeMiningOptions = HardNegativeMiningOptions()) { self.options = options }

    /// Mines negatives for `pairs` among `corpus` plus the positives.
    ///
    /// With `storedVectors` (row i = the vector of `corpus[i]`, e.g. from a store encoded by the same
    /// model), those rows are reused and only the other texts are embedded.
    public func mine(
        pairs: [MiningPair], corpus: [MiningDocument], storedVectors: VectorMatrix? = nil,
        embedder: some MiningEmbedder, onEvent: (MiningEvent) -> Void = { _ in }
    ) throws(MiningError) -> MiningResult {
        guard !pairs.isEmpty else { throw .invalidOption(option: "data", reason: "no (anchor, positive) pairs") }
        if let storedVectors, storedVectors.count != corpus.count || storedVectors.dimension != embedder.dimension {
            throw .invalidOption(option: "db", reason: "\(storedVectors.count) stored vectors of dimension "
                + "\(storedVectors.dimension) for \(corpus.count) documents of dimension \(embedder.dimension)")
        }
        let problem = MiningProblem(pairs: pairs, documents: corpus)
        // Before the candidate lists are sized by it: an anchor never has more candidates than documents.
        guard options.numNegatives < problem.corpus.count else {
            throw .invalidOption(option: "num-negatives", reason: "cannot mine \(options.numNegatives) negatives per anchor "
                + "from \(problem.corpus.count) documents (the positives included)")
        }
        try options.validate(maxPositives: problem.maxPositives)
        var selection = NegativeSelection(options: options, maxPositives: problem.maxPositives)

        let matrix = corpusMatrix(problem, storedVectors: storedVectors, embedder: embedder, onEvent: onEvent)
        let q = problem.queries.count, d = embedder.dimension
        let queries = embedder.embed(problem.queries, role: .query) { onEvent(.encodingAnchors(done: $0, total: q)) }  // (Q, D)
        let hits = search(queries, count: q, matrix: matrix, k: selection.candidateCount, onEvent: onEvent)

        // Positive scores per row, and the smallest of each anchor (upstream's margin reference).
        var positiveScores = [Float](repeating: 0, count: problem.rows.count)  // (R)
        var minPositive = [Float](repeating: .infinity, count: q)             // (Q)
        queries.withUnsafeBufferPointer { qs in
            guard let base = qs.baseAddress else { return }
            for (r, row) in problem.rows.enumerated() {
                let score = Self.cosine(base + row.query * d, matrix, row.positive)
                positiveScores[r] = score
                minPositive[row.query] = Swift.min(minPositive[row.query], score)
            }
        }
        let chosen = (0..<q).map { selection.select(hits: hits[$0], excluded: problem.excluded[$0], minPositive: minPositive[$0]) }

        var rows: [MinedRow] = []
        var negativeScores: [Float] = []
        var summary = MiningSummary()
        for (r, row) in problem.rows.enumerated() {
            guard let negatives = chosen[row.query] else { continue }
            rows.append(MinedRow(anchor: problem.queries[row.query], positive: problem.corpus[row.positive],
                                 negatives: negatives.map { problem.corpus[$0.index] },
                                 scores: [positiveScores[r]] + negatives.map(\.score)))
            negativeScores += negatives.map(\.score)
        }
        summary.anchors = q
        summary.anchorsDropped = chosen.filter { $0 == nil }.count
        summary.rows = problem.rows.count
        summary.rowsDropped = problem.rows.count - rows.count
        summary.corpusSize = problem.corpus.count
        summary.rangeMax = selection.rangeMax
        summary.skippedByAbsoluteMargin = selection.skippedByAbsoluteMargin
        summary.skippedByRelativeMargin = selection.skippedByRelativeMargin
        summary.skippedByMaxScore = selection.skippedByMaxScore
        summary.skippedByMinScore = selection.skippedByMinScore
        summary.positiveScores = ScoreQuantiles(positiveScores)
        summary.negativeScores = ScoreQuantiles(negativeScores)
        return MiningResult(rows: rows, summary: summary)
    }

    /// (N, D) the corpus vectors: stored rows copied, the other texts embedded.
    private func corpusMatrix(
        _ problem: MiningProblem, storedVectors: VectorMatrix?, embedder: some MiningEmbedder,
        onEvent: (MiningEvent) -> Void
    ) -> VectorMatrix {
        let n = problem.corpus.count, d = embedder.dimension
        let matrix = VectorMatrix(count: n, dimension: d, ids: Array(repeating: "", count: n))
        var missing: [Int] = []
        for i in 0..<n {
            if let row = problem.storedRow[i], let storedVectors {
                matrix.row(i).update(from: storedVectors.row(row), count: d)
            } else {
                missing.append(i)
            }
        }
        let embedded = embedder.embed(missing.map { problem.corpus[$0] }, role: .document) {
            onEvent(.encodingCorpus(done: $0, total: missing.count))
        }
        embedded.withUnsafeBufferPointer { e in
            guard let base = e.baseAddress else { return }
            for (k, i) in missing.enumerated() { matrix.row(i).update(from: base + k * d, count: d) }
        }
        matrix.updateNorms()
        return matrix
    }

    /// (Q) the best `k` corpus rows of every anchor, best first; blocks of `searchBlock` anchors.
    private func search(
        _ queries: [Float], count q: Int, matrix: VectorMatrix, k: Int, onEvent: (MiningEvent) -> Void
    ) -> [[TopK.Hit]] {
        let d = matrix.dimension
        var hits: [[TopK.Hit]] = []
        hits.reserveCapacity(q)
        queries.withUnsafeBufferPointer { qs in
            guard let base = qs.baseAddress else { return }
            var start = 0
            while start < q {
                let count = Swift.min(Swift.max(1, searchBlock), q - start)
                hits += TopK.searchBatch(queries: base + start * d, queryCount: count, matrix: matrix, k: k, threads: threads)
                start += count
                onEvent(.searching(done: start, total: q))
            }
        }
        return hits
    }

    /// Cosine similarity of `query` (D floats) and corpus row `i`.
    static func cosine(_ query: UnsafePointer<Float>, _ matrix: VectorMatrix, _ i: Int) -> Float {
        let d = matrix.dimension
        let norm = VectorOps.dot(query, query, d).squareRoot()
        let dot = VectorOps.dot(query, matrix.row(i), d)
        return (matrix.isUnitNorm ? dot : dot * matrix.inverseNorms[i]) * TopK.inverseNorm(norm)
    }
}
