import Foundation
@testable import Store
import Tensor
import Testing
@testable import Retrieval

/// `TopK.searchBounded` must return exactly what the full float32 scan returns — same rows, same
/// scores bit for bit, same tie order — on any data, since it only skips rows proven to score
/// below the k-th best.
@Suite struct BoundedSearchTests {
    func expectIdentical(_ m: VectorMatrix, _ qm: QuantizedMatrix, _ queries: [[Float]], ks: [Int] = [1, 10, 57],
                         threads: [Int] = [1, 2, 3], _ label: String) {
        for (qi, q) in queries.enumerated() {
            for k in ks {
                for t in threads {
                    let want = TopK.search(query: q, matrix: m, k: k, threads: t)
                    let got = q.withUnsafeBufferPointer {
                        TopK.searchBounded(query: $0.baseAddress!, matrix: m, quantized: qm, k: k, threads: t)
                    }
                    #expect(got.map(\.index) == want.map(\.index), "\(label): query \(qi) k \(k) threads \(t)")
                    #expect(got.map(\.score) == want.map(\.score), "\(label): query \(qi) k \(k) threads \(t)")
                }
            }
        }
    }

    @Test func randomUnitVectorsGiveTheFullScansAnswerAndSkipMostRows() {
        let rows = randomVectors(30000, 96, seed: 31, normalized: true)
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 96)
        let qm = QuantizedMatrix(matrix: m)
        #expect(m.isUnitNorm && qm.largestResidual.isFinite)
        let queries = randomVectors(12, 96, seed: 32, normalized: true)
        expectIdentical(m, qm, queries, "random unit")
        var rescored = 0
        _ = queries[0].withUnsafeBufferPointer {
            TopK.searchBounded(query: $0.baseAddress!, matrix: m, quantized: qm, k: 10, rescored: &rescored)
        }
        #expect(rescored > 10 && rescored < 3000, "rescored \(rescored) of 30000 rows")
    }

    /// Queries that are stored rows (score 1 at the top), near-duplicate rows whose scores differ
    /// in the last bits, and exact duplicates that tie.
    @Test func nearTiesAndExactDuplicatesKeepTheScanOrder() {
        var rows = randomVectors(4000, 64, seed: 41, normalized: true)
        var rng = SplitMix64(seed: 42)
        for i in stride(from: 0, to: 4000, by: 5) {
            let j = Int(rng.next() % 4000)
            rows[i] = rows[j].enumerated().map { d, x in d == 0 ? x.nextUp : x }  // ulp-apart near-duplicate
        }
        for i in stride(from: 2, to: 4000, by: 7) { rows[i] = rows[i / 2] }  // exact duplicates
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 64)
        let qm = QuantizedMatrix(matrix: m)
        expectIdentical(m, qm, [rows[3], rows[10], rows[444]] + randomVectors(3, 64, seed: 43, normalized: true), "ties")
    }

    /// Not unit-norm (cosine divides by each norm), small dyadic values, a zero row, and scales
    /// taken from a subset so other rows clamp at ±127 (large residuals).
    @Test func unnormalisedRowsClampedCodesAndZeroRows() {
        var rng = SplitMix64(seed: 51)
        var rows = (0..<3000).map { _ in (0..<40).map { _ in Float(Int(rng.next() % 9) - 4) / 8 } }
        rows[17] = [Float](repeating: 0, count: 40)
        for i in stride(from: 1, to: 3000, by: 97) { rows[i] = rows[i].map { $0 * 9 } }  // outliers
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 40)
        #expect(!m.isUnitNorm)
        let subset = VectorMatrix(ids: ["a", "b"], vectors: [rows[0], rows[2]], dimension: 40)
        let qm = QuantizedMatrix(matrix: m, scales: QuantizedMatrix.scales(of: subset))
        let queries = (0..<4).map { _ in (0..<40).map { _ in Float(Int(rng.next() % 9) - 4) / 8 } } + [rows[17], rows[1]]
        expectIdentical(m, qm, queries, "unnormalised")
    }

    /// The worst case for the bound: every row's codes are rounded away from the query (floor where
    /// the query is positive, ceiling where negative), so each approximate score falls short of the
    /// exact one by most of the bound. A bound even slightly too small loses true neighbours here.
    @Test func residualsAlignedWithTheQueryAreStillFound() {
        let dimension = 64
        var rng = SplitMix64(seed: 91)
        let query = (0..<dimension).map { _ in rng.next() % 2 == 0 ? Float(0.125) : -0.125 }
        let rows = randomVectors(6000, dimension, seed: 92, normalized: true)
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: dimension)
        let qm = QuantizedMatrix(count: m.count, dimension: dimension, scales: QuantizedMatrix.scales(of: m))
        for i in 0..<m.count {
            let x = m.row(i), c = qm.row(i)
            for d in 0..<dimension {
                let u = qm.scales[d] > 0 ? x[d] / qm.scales[d] : 0
                c[d] = Int8(Swift.max(-127, Swift.min(127, query[d] > 0 ? u.rounded(.down) : u.rounded(.up))))
            }
            qm.updateResidual(row: i, from: x)
        }
        expectIdentical(m, qm, [query], ks: [1, 10, 57, 300], "aligned residuals")
    }

    /// Rows whose residual was never recorded (+infinity) are always rescored; the answer stays exact.
    @Test func unknownResidualsFallBackToRescoring() {
        let rows = randomVectors(2000, 32, seed: 61, normalized: true)
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 32)
        let qm = QuantizedMatrix(count: m.count, dimension: 32, scales: QuantizedMatrix.scales(of: m))
        for i in 0..<m.count where i % 3 != 0 {
            QuantizedMatrix.quantize(m.row(i), scales: qm.scales, into: qm.row(i))
            qm.updateResidual(row: i, from: m.row(i))
        }
        for i in stride(from: 0, to: m.count, by: 3) { QuantizedMatrix.quantize(m.row(i), scales: qm.scales, into: qm.row(i)) }
        #expect(qm.largestResidual == .infinity)
        let queries = randomVectors(4, 32, seed: 62, normalized: true)
        expectIdentical(m, qm, queries, ks: [10], "unknown residuals")
        var rescored = 0
        _ = queries[0].withUnsafeBufferPointer {
            TopK.searchBounded(query: $0.baseAddress!, matrix: m, quantized: qm, k: 10, rescored: &rescored)
        }
        #expect(rescored >= m.count / 3)
    }

    @Test func zeroAndNonFiniteQueries() {
        let rows = randomVectors(1500, 48, seed: 71, normalized: true)
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 48)
        let qm = QuantizedMatrix(matrix: m)
        expectIdentical(m, qm, [[Float](repeating: 0, count: 48)], ks: [5], "zero query")
        var nan = rows[0]
        nan[3] = .nan
        let want = TopK.search(query: nan, matrix: m, k: 5)
        let got = nan.withUnsafeBufferPointer { TopK.searchBounded(query: $0.baseAddress!, matrix: m, quantized: qm, k: 5) }
        #expect(got.map(\.index) == want.map(\.index))
    }

    @Test func residualIsTheDistanceToTheDequantisedRow() {
        let m = VectorMatrix(ids: ["a"], vectors: [[0.5, -0.3, 0.1]], dimension: 3)
        let qm = QuantizedMatrix(matrix: m)
        let c = Array(UnsafeBufferPointer(start: qm.row(0), count: 3))
        let r = zip(zip([0.5, -0.3, 0.1] as [Float], qm.scales), c).map { Double($0.0) - Double($0.1) * Double($1) }
        let norm = r.reduce(0) { $0 + $1 * $1 }.squareRoot()
        #expect(Double(qm.residualNorms[0]) >= norm && Double(qm.residualNorms[0]) <= norm * (1 + 1e-6) + 1e-12)
        #expect(qm.largestResidual == qm.residualNorms[0])
    }

    /// The integer floor never cuts a row whose approximate score reaches the threshold.
    @Test func scoreFloorIsConservative() {
        var rng = SplitMix64(seed: 81)
        for _ in 0..<20000 {
            let factor = Float(1 + rng.next() % 100000) * 0.37
            let dot = Int32(truncatingIfNeeded: Int(rng.next() % 2_000_001) - 1_000_000)
            let approx = Float(dot) * (1 / factor)
            let slack = Double(rng.nextUniform()) * 1e-2
            let inverseQueryNorm: Float = rng.next() % 2 == 0 ? 1 : 0.731
            // The threshold the row just reaches with its slack.
            let threshold = (approx + Float(slack)) * inverseQueryNorm
            let floor = Int8ScoreFloor.floor(threshold: threshold, slack: slack, factor: factor,
                                             inverseQueryNorm: inverseQueryNorm, unitRows: true)
            #expect(dot >= floor, "dot \(dot) factor \(factor) slack \(slack)")
        }
        #expect(Int8ScoreFloor.floor(threshold: -.infinity, slack: 0, factor: 1, inverseQueryNorm: 1, unitRows: true) == .min)
        #expect(Int8ScoreFloor.floor(threshold: 0.5, slack: 0, factor: 1, inverseQueryNorm: 1, unitRows: false) == .min)
    }
}
