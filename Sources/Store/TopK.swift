import Tensor

/// Exact top-k by cosine similarity over a `VectorMatrix`, and the int8 variant that rescores its
/// candidates exactly.
///
/// Score of row i for query q: `(dot(q, x_i) * inverseNorm_i) * inverseNorm_q`, where an inverse
/// norm within `VectorMatrix.unitTolerance` of 1 is taken as exactly 1 — so on normalised vectors
/// (what normalising models store) the score is the plain dot product, as in faiss `IndexFlatIP`.
/// Results are best first; equal scores rank the lower row index first, whatever the thread count.
public enum TopK {
    public typealias Hit = (index: Int, score: Float)

    /// The k best rows for one query of `matrix.dimension` floats; fewer when k > count.
    /// Rows are split into `threads` contiguous ranges, each kept in its own heap, then merged.
    static func search(query: UnsafePointer<Float>, matrix: VectorMatrix, k: Int, threads: Int = 1) -> [Hit] {
        precondition(k >= 0, "k must be >= 0")
        let q = PaddedQuery(query, dimension: matrix.dimension, stride: matrix.stride)
        defer { q.deallocate() }
        let heap = scanParallel(count: matrix.count, k: Swift.min(k, matrix.count), threads: threads) { _, lo, hi, heap in
            scanFloat(q, matrix, lo, hi, &heap)
        }
        return heap.sorted()
    }

    public static func search(query: [Float], matrix: VectorMatrix, k: Int, threads: Int = 1) -> [Hit] {
        precondition(query.count == matrix.dimension, "query has \(query.count) values, matrix \(matrix.dimension)")
        return query.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return [] }  // dimension > 0, so never empty
            return search(query: base, matrix: matrix, k: k, threads: threads)
        }
    }

    /// Scans the int8 codes for the best `candidates` rows (default max(10 k, 100)) by approximate
    /// score, then rescores those with the float32 rows and returns the k best: scores are exact,
    /// only a true neighbour missed by the int8 pass can be lost.
    static func searchInt8(
        query: UnsafePointer<Float>, matrix: VectorMatrix, quantized: QuantizedMatrix, k: Int,
        candidates: Int? = nil, threads: Int = 1
    ) -> [Hit] {
        withInt8Queries(query, matrix, quantized, k: k) { q, q16 in
            let c = Swift.min(Swift.max(candidates ?? Swift.max(10 * k, 100), k), matrix.count)
            let coarse = scanParallel(count: matrix.count, k: c, threads: threads) { _, lo, hi, heap in
                scanInt8(q16, quantized, matrix, lo, hi, &heap)
            }
            return rescore(coarse, q, matrix, k: k)
        }
    }

    /// The k best of `candidates` by exact score from their float32 rows.
    static func rescore(_ candidates: TopKHeap, _ q: PaddedQuery, _ matrix: VectorMatrix, k: Int) -> [Hit] {
        var heap = TopKHeap(capacity: Swift.min(k, matrix.count))
        for hit in candidates.sorted() {
            let dot = ScanKernels.dot1(UnsafeRawPointer(q.values), UnsafeRawPointer(matrix.row(hit.index)), matrix.stride)
            heap.push(score(dot, hit.index, matrix, q.inverseNorm), hit.index)
        }
        return heap.sorted()
    }

    /// Checks the arguments of a search through the int8 copy and runs `body` with the query padded
    /// for the float32 rows and prepared for the int8 codes.
    static func withInt8Queries<R>(
        _ query: UnsafePointer<Float>, _ matrix: VectorMatrix, _ quantized: QuantizedMatrix, k: Int,
        _ body: (PaddedQuery, Int8Query) -> R
    ) -> R {
        precondition(k >= 0, "k must be >= 0")
        precondition(quantized.count == matrix.count && quantized.dimension == matrix.dimension,
                     "quantized matrix does not match the float matrix")
        let q = PaddedQuery(query, dimension: matrix.dimension, stride: matrix.stride)
        defer { q.deallocate() }
        let q16 = Int8Query(query: query, scales: quantized.scales, stride: quantized.stride)
        defer { q16.deallocate() }
        return body(q, q16)
    }

    /// Top-k for many queries at once: scores = Q @ D^T computed by `gemm` in blocks of
    /// `blockRows` rows, each block's scores pushed into one heap per query. `queries` is
    /// (queryCount, dimension) row-major. Scores equal `search`'s up to float rounding (gemm sums
    /// in another order). OpenBLAS runs with `threads` threads during the call; heaps fill in parallel.
    public static func searchBatch(
        queries: UnsafePointer<Float>, queryCount: Int, matrix: VectorMatrix, k: Int, threads: Int = 1,
        blockRows: Int = 4096
    ) -> [[Hit]] {
        precondition(k >= 0 && queryCount >= 0 && blockRows > 0, "bad batch search arguments")
        let d = matrix.dimension
        let inverseQueryNorms = (0..<queryCount).map { i -> Float in
            inverseNorm(VectorOps.dot(queries + i * d, queries + i * d, d).squareRoot())
        }
        var heaps = [TopKHeap](repeating: TopKHeap(capacity: Swift.min(k, matrix.count)), count: queryCount)
        let block = Tensor(zeros: [queryCount, blockRows])  // (Q, B) scores of one block of rows
        let context = ComputeContext(threads: threads)
        var start = 0
        while start < matrix.count {
            let rows = Swift.min(blockRows, matrix.count - start)
            gemm(.none, .transposed, m: queryCount, n: rows, k: d,
                 a: queries, lda: d, b: matrix.row(start), ldb: matrix.stride, c: block.pointer, ldc: blockRows,
                 context: context)
            heaps.withUnsafeMutableBufferPointer { hs in
                parallelFor(queryCount, threads: threads) { qi in
                    let s = block.pointer + qi * blockRows
                    for j in 0..<rows {
                        let sc = score(s[j], start + j, matrix, inverseQueryNorms[qi])
                        if sc >= hs[qi].threshold { hs[qi].push(sc, start + j) }
                    }
                }
            }
            start += rows
        }
        return heaps.map { $0.sorted() }
    }

    /// The inverse of a vector's norm as every scan uses it: exactly 1 within
    /// `VectorMatrix.unitTolerance` of 1, 0 for a zero vector.
    @inline(__always)
    public static func inverseNorm(_ norm: Float) -> Float {
        if abs(norm - 1) <= VectorMatrix.unitTolerance { return 1 }
        return norm > 0 ? 1 / norm : 0
    }

    // MARK: - internals

    @inline(__always)
    static func score(_ dot: Float, _ i: Int, _ m: VectorMatrix, _ inverseQueryNorm: Float) -> Float {
        (m.isUnitNorm ? dot : dot * m.inverseNorms[i]) * inverseQueryNorm
    }

    /// The query copied into a zero-padded, aligned (stride) buffer, with its inverse norm.
    struct PaddedQuery {
        let values: UnsafeMutablePointer<Float>
        let inverseNorm: Float
        init(_ query: UnsafePointer<Float>, dimension: Int, stride: Int) {
            values = UnsafeMutableRawPointer.allocate(byteCount: stride * 4, alignment: 64)
                .bindMemory(to: Float.self, capacity: stride)
            values.initialize(repeating: 0, count: stride)
            values.update(from: query, count: dimension)
            inverseNorm = TopK.inverseNorm(VectorOps.dot(query, query, dimension).squareRoot())
        }
        func deallocate() { values.deallocate() }
    }

    /// Runs `body(part, lo, hi, &heap)` on at most `threads` contiguous row ranges (multiples of 4
    /// rows), part = 0, 1, ..., and merges the heaps.
    static func scanParallel(
        count: Int, k: Int, threads: Int, _ body: (Int, Int, Int, inout TopKHeap) -> Void
    ) -> TopKHeap {
        let parts = Swift.max(1, Swift.min(threads, count / 1024))
        let chunk = ((count + parts - 1) / parts + 3) / 4 * 4
        var heaps = [TopKHeap](repeating: TopKHeap(capacity: k), count: parts)
        heaps.withUnsafeMutableBufferPointer { hs in
            parallelFor(parts, threads: parts) { p in
                let lo = Swift.min(count, p * chunk), hi = Swift.min(count, lo + chunk)
                body(p, lo, hi, &hs[p])
            }
        }
        var merged = heaps[0]
        for p in 1..<parts { merged.merge(heaps[p]) }
        return merged
    }

    static func scanFloat(_ q: PaddedQuery, _ m: VectorMatrix, _ lo: Int, _ hi: Int, _ heap: inout TopKHeap) {
        let query = UnsafeRawPointer(q.values)
        let dots = UnsafeMutablePointer<Float>.allocate(capacity: ScanKernels.block)
        defer { dots.deallocate() }
        var start = lo
        while start < hi {
            let rows = Swift.min(ScanKernels.block, hi - start)
            ScanKernels.dots(query, UnsafeRawPointer(m.data + start * m.stride), m.stride, rows, dots)
            for j in 0..<rows {
                let s = score(dots[j], start + j, m, q.inverseNorm)
                if s >= heap.threshold { heap.push(s, start + j) }
            }
            start += rows
        }
    }

    /// Rows per call of the int8 kernel (768 KB of codes at 384 dims): long uninterrupted reads keep
    /// the hardware prefetcher ahead (256-row calls ran ~1.5 ms slower over 1M rows); 8 KB of dots.
    static let int8Block = 2048

    /// Approximate scores: the int8 dot divided by the query factor, times the row's inverse norm
    /// (the query norm is a common factor).
    static func scanInt8(
        _ q: Int8Query, _ qm: QuantizedMatrix, _ m: VectorMatrix, _ lo: Int, _ hi: Int, _ heap: inout TopKHeap
    ) {
        scanApproximate(factor: q.factor, block: int8Block, m, lo, hi, &heap) { start, rows, dots in
            q.dots(qm.codes + start * qm.stride, rows: rows, into: dots)
        }
    }

    /// The scan of integer approximate dots (int8 or 4-bit codes): `dots(start, rows, out)` writes
    /// the integer dots of rows start..<start + rows, blocks of `block` rows; approximate score =
    /// Float(dot) / factor, times the row's inverse norm. A row whose dot is below the integer floor
    /// of the heap's threshold is skipped after one compare.
    @inline(__always)
    static func scanApproximate(
        factor: Float, block: Int, _ m: VectorMatrix, _ lo: Int, _ hi: Int, _ heap: inout TopKHeap,
        dots computeDots: (Int, Int, UnsafeMutablePointer<Int32>) -> Void
    ) {
        let dots = UnsafeMutablePointer<Int32>.allocate(capacity: block)
        defer { dots.deallocate() }
        let inverseFactor = 1 / factor
        var start = lo
        while start < hi {
            let rows = Swift.min(block, hi - start)
            computeDots(start, rows, dots)
            // The scores rank like those of a unit query, so 1 stands for the query's inverse norm.
            var floor = Int8ScoreFloor.floor(threshold: heap.threshold, slack: 0, factor: factor,
                                             inverseQueryNorm: 1, unitRows: m.isUnitNorm)
            for j in 0..<rows where dots[j] >= floor {
                let dot = Float(dots[j]) * inverseFactor
                let s = m.isUnitNorm ? dot : dot * m.inverseNorms[start + j]
                if s >= heap.threshold {
                    heap.push(s, start + j)
                    floor = Int8ScoreFloor.floor(threshold: heap.threshold, slack: 0, factor: factor,
                                                 inverseQueryNorm: 1, unitRows: m.isUnitNorm)
                }
            }
            start += rows
        }
    }
}
