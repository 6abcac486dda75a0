/// Exact top-k that reads the int8 codes instead of the float32 rows: each row's approximate
/// score comes with a proven error bound, and only a row whose upper bound reaches the current
/// k-th best score is rescored in float32 (by the same kernel as the full scan). Every other row
/// provably scores below the k-th best, so the result — indices, scores bit for bit, tie order —
/// is the full float32 scan's, at about a quarter of the memory traffic.
///
/// The bound, for query q (padded, `stride` floats) and row i with codes c and residual norm R_i
/// (`QuantizedMatrix.residualNorms`), approximate dot a_i = Float(sum q16 c) / F:
///   |dot1(q, x_i) - a_i| <= ||q|| R_i                      (x_i = scale * c_i + r_i, Cauchy–Schwarz)
///                         + (127 / F) sum_d |e_d|            (e_d = q16_d - q_d scale_d F, query rounding)
///                         + rho ||q|| ||x_i||                (float32 rounding of dot1)
///                         + 2^-21 |a_i|                      (rounding of a_i itself)
/// with rho = (stride / 64 + 8) 2^-23, twice the worst case of dot1's 64 lanes of stride/64 fused
/// multiply-adds and six levels of pairwise sums; the whole bound is then enlarged by 2^-20 for the
/// rounding of its own few operations. Rounded multiplication by a non-negative factor is monotone,
/// so `score(a_i + bound)` bounds the row's final score from above.
extension TopK {
    /// Exact top-k of `search(query:matrix:k:threads:)`, read through `quantized` (the int8 copy
    /// of the same rows). `rescored` receives how many rows needed their float32 values.
    public static func searchBounded(
        query: UnsafePointer<Float>, matrix: VectorMatrix, quantized: QuantizedMatrix, k: Int, threads: Int = 1,
        rescored: inout Int
    ) -> [Hit] {
        withInt8Queries(query, matrix, quantized, k: k) { q, q16 in
            guard let bound = Int8ErrorBound(query: query, q16: q16, scales: quantized.scales, stride: matrix.stride) else {
                // A query with NaN or infinity has no meaningful bound: read every float32 row.
                rescored = matrix.count
                return search(query: query, matrix: matrix, k: k, threads: threads)
            }
            let parts = Swift.max(1, threads)
            var counts = [Int](repeating: 0, count: parts)
            let heap = counts.withUnsafeMutableBufferPointer { counts in
                scanParallel(count: matrix.count, k: Swift.min(k, matrix.count), threads: threads) { part, lo, hi, heap in
                    counts[part] = scanBounded(q, q16, bound, quantized, matrix, lo, hi, &heap)
                }
            }
            rescored = counts.reduce(0, +)
            return heap.sorted()
        }
    }

    static func searchBounded(
        query: UnsafePointer<Float>, matrix: VectorMatrix, quantized: QuantizedMatrix, k: Int, threads: Int = 1
    ) -> [Hit] {
        var rescored = 0
        return searchBounded(query: query, matrix: matrix, quantized: quantized, k: k, threads: threads, rescored: &rescored)
    }

    /// The per-query constants of the error bound above.
    struct Int8ErrorBound {
        /// ||q||, rounded up.
        let queryNorm: Float
        /// (127 / F) sum_d |e_d|, rounded up.
        let queryRounding: Float
        /// rho of the float32 scan.
        let rho: Float

        init?(query: UnsafePointer<Float>, q16: Int8Query, scales: [Float], stride: Int) {
            var squares: Double = 0, rounding: Double = 0
            let f = Double(q16.factor)
            for d in 0..<scales.count {
                let x = Double(query[d])
                squares += x * x
                rounding += abs(Double(q16.values[d]) - x * Double(scales[d]) * f)
            }
            let norm = Float(squares.squareRoot()).nextUp
            let qr = Float(127 * rounding / f * (1 + 1e-9)).nextUp
            guard norm.isFinite, qr.isFinite else { return nil }
            queryNorm = norm
            queryRounding = qr
            rho = Float(stride / 64 + 8) * 0x1p-23
        }

        /// An upper bound of `error` over every row of a unit-norm matrix (norms <= 1 +
        /// `VectorMatrix.unitTolerance`) whose residual norms are at most `largestResidual`.
        func largestError(largestResidual: Float) -> Double {
            let norm = 1 + Double(VectorMatrix.unitTolerance)
            let r = Double(largestResidual), qn = Double(queryNorm)
            let largestApprox = qn * (norm + r) + Double(queryRounding)
            let e = qn * (r + Double(rho) * norm) + Double(queryRounding) + 0x1p-21 * largestApprox
            return e * (1 + 0x1p-10)
        }

        /// Upper bound of |dot1(q, x_i) - a| for a row of residual norm `residual` and norm `norm`.
        @inline(__always)
        func error(approx a: Float, residual: Float, norm: Float) -> Float {
            let e = queryNorm * (residual + rho * norm) + queryRounding + 0x1p-21 * abs(a)
            return e + e * 0x1p-20
        }
    }

    /// Scans rows lo..<hi; returns how many were rescored in float32.
    static func scanBounded(
        _ q: PaddedQuery, _ q16: Int8Query, _ bound: Int8ErrorBound, _ qm: QuantizedMatrix, _ m: VectorMatrix,
        _ lo: Int, _ hi: Int, _ heap: inout TopKHeap
    ) -> Int {
        let dots = UnsafeMutablePointer<Int32>.allocate(capacity: int8Block)
        defer { dots.deallocate() }
        let query = UnsafeRawPointer(q.values)
        let inverseFactor = 1 / q16.factor
        let slack = bound.largestError(largestResidual: qm.largestResidual)
        var rescored = 0
        var start = lo
        while start < hi {
            let rows = Swift.min(int8Block, hi - start)
            q16.dots(qm.codes + start * qm.stride, rows: rows, into: dots)
            var floor = Int8ScoreFloor.floor(threshold: heap.threshold, slack: slack, factor: q16.factor,
                                             inverseQueryNorm: q.inverseNorm, unitRows: m.isUnitNorm)
            for j in 0..<rows where dots[j] >= floor {
                let i = start + j
                let a = Float(dots[j]) * inverseFactor
                let upper = a + bound.error(approx: a, residual: qm.residualNorms[i], norm: m.norms[i])
                // Skipped only when provably below; a NaN bound (infinite residual times a zero
                // inverse norm) compares false and is rescored.
                if score(upper, i, m, q.inverseNorm) < heap.threshold { continue }
                rescored += 1
                let s = score(ScanKernels.dot1(query, UnsafeRawPointer(m.data + i * m.stride), m.stride), i, m, q.inverseNorm)
                if s >= heap.threshold {
                    heap.push(s, i)
                    floor = Int8ScoreFloor.floor(threshold: heap.threshold, slack: slack, factor: q16.factor,
                                                 inverseQueryNorm: q.inverseNorm, unitRows: m.isUnitNorm)
                }
            }
            start += rows
        }
        return rescored
    }
}
