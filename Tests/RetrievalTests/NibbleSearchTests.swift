import Foundation
@testable import Store
import Tensor
import Testing
@testable import Retrieval

@Suite struct NibbleSearchTests {
    /// Gaussian-like codes: the squared-error step clips the rare large values and is well below the
    /// no-clipping step max |c| / 7. Codes only at -127, 0 and 127: clipping would cost more than it
    /// saves, so the step is exactly 127 / 7.
    @Test func stepsMinimiseTheSquaredError() {
        let count = 4000
        let qm = QuantizedMatrix(count: count, dimension: 2, scales: [0.01, 0.02])
        var rng = SplitMix64(seed: 5)
        for i in 0..<count {
            let u1 = Swift.max(rng.nextUniform(), 1e-7), u2 = rng.nextUniform()
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Float.pi * u2)
            qm.row(i)[0] = Int8(Swift.max(-127, Swift.min(127, (z * 30).rounded())))
            qm.row(i)[1] = [-127, 0, 127][i % 3]
        }
        let largest = Float((0..<count).map { abs(Int(qm.row($0)[0])) }.max() ?? 0)
        let steps = NibbleMatrix.steps(qm)
        #expect(steps[0] < 0.8 * largest / 7 && steps[0] >= 1)
        #expect(steps[1] == Float(127) / 7)
        let nm = NibbleMatrix(quantized: qm)
        #expect(nm.scales == [0.01 * steps[0], 0.02 * steps[1]])
        #expect(nm.stride == 64)
    }

    /// Random unit vectors (the hard case: the top scores crowd together) at 384 dimensions, the
    /// fixed-register kernel's stride: recall@10 against the exact search >= 0.99, scores exact.
    @Test func recallsAtLeast99PercentOfExactTop10() {
        let dimension = 384
        let rows = randomVectors(20000, dimension, seed: 31, normalized: true)
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: dimension)
        let nm = NibbleMatrix(quantized: QuantizedMatrix(matrix: m))
        var found = 0, total = 0
        for q in randomVectors(30, dimension, seed: 32, normalized: true) {
            let exact = TopK.search(query: q, matrix: m, k: 10)
            for threads in [1, 2] {
                let approx = q.withUnsafeBufferPointer {
                    TopK.searchNibble(query: $0.baseAddress!, matrix: m, nibbles: nm, k: 10, threads: threads)
                }
                found += Set(exact.map(\.index)).intersection(approx.map(\.index)).count
                total += 10
                let exactScores = Dictionary(uniqueKeysWithValues: exact.map { ($0.index, $0.score) })
                for h in approx { if let s = exactScores[h.index] { #expect(s == h.score) } }
            }
        }
        #expect(Double(found) / Double(total) >= 0.99)
    }

    /// With every row a candidate, the answer is the exact search's, on rows that are not unit
    /// length, with one outlying dimension and a dimension that is not a multiple of 128.
    @Test func everyRowACandidateGivesTheExactSearch() {
        let dimension = 200
        var rows = randomVectors(3000, dimension, seed: 41)
        for i in stride(from: 0, to: rows.count, by: 97) { rows[i][17] = 40 }
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: dimension)
        #expect(!m.isUnitNorm)
        let nm = NibbleMatrix(quantized: QuantizedMatrix(matrix: m))
        for q in randomVectors(10, dimension, seed: 42) {
            let exact = TopK.search(query: q, matrix: m, k: 10)
            let all = q.withUnsafeBufferPointer {
                TopK.searchNibble(query: $0.baseAddress!, matrix: m, nibbles: nm, k: 10, candidates: m.count)
            }
            #expect(all.map(\.index) == exact.map(\.index))
            #expect(all.map(\.score) == exact.map(\.score))
        }
    }
}
