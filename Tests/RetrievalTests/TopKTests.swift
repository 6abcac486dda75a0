import Foundation
@testable import Store
import Tensor
import Testing
@testable import Retrieval

@Suite struct TopKTests {
    /// Vectors of small multiples of 1/8: every dot product is exact in Float whatever the
    /// summation order, so a brute-force sort must agree bit for bit; many rows repeat, so many
    /// scores tie exactly.
    func dyadicMatrix(_ n: Int, _ d: Int, seed: UInt64) -> (VectorMatrix, [[Float]]) {
        var rng = SplitMix64(seed: seed)
        var rows: [[Float]] = []
        for i in 0..<n {
            if i > 0 && rng.next() % 4 == 0 {
                rows.append(rows[Int(rng.next() % UInt64(i))])  // an exact duplicate of an earlier row
            } else {
                rows.append((0..<d).map { _ in Float(Int(rng.next() % 9) - 4) / 8 })
            }
        }
        return (VectorMatrix(ids: (0..<n).map { "r\($0)" }, vectors: rows, dimension: d), rows)
    }

    /// The reference: every row scored with the documented formula, sorted by score then index.
    func bruteForce(_ q: [Float], _ m: VectorMatrix, _ rows: [[Float]], k: Int) -> [TopK.Hit] {
        let qn = q.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let qInv = TopK.inverseNorm(qn)
        let all = rows.enumerated().map { i, r -> TopK.Hit in
            let dot = zip(q, r).reduce(0) { $0 + $1.0 * $1.1 }
            return (i, (m.isUnitNorm ? dot : dot * m.inverseNorms[i]) * qInv)
        }
        return Array(all.sorted { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }.prefix(k))
    }

    @Test(arguments: [1, 2, 3])
    func exactSearchEqualsBruteForceIncludingTies(threads: Int) {
        let (m, rows) = dyadicMatrix(3000, 40, seed: 11)
        #expect(!m.isUnitNorm)
        for (qi, q) in dyadicMatrix(5, 40, seed: 99).1.enumerated() {
            for k in [1, 10, 57] {
                let got = TopK.search(query: q, matrix: m, k: k, threads: threads)
                let want = bruteForce(q, m, rows, k: k)
                #expect(got.map(\.index) == want.map(\.index), "query \(qi) k \(k)")
                #expect(got.map(\.score) == want.map(\.score), "query \(qi) k \(k)")
            }
        }
    }

    @Test func tiedScoresRankLowerIndexFirstAcrossThreads() {
        // Every row identical: all scores tie, the answer must be rows 0..<k whatever the split.
        let m = VectorMatrix(ids: (0..<5000).map(String.init), vectors: Array(repeating: [0.5, 0.25, -0.125], count: 5000), dimension: 3)
        for threads in [1, 2, 4] {
            #expect(TopK.search(query: [1, 1, 1], matrix: m, k: 7, threads: threads).map(\.index) == Array(0..<7))
        }
    }

    @Test func kLargerThanCountReturnsEveryRowSorted() {
        let (m, rows) = dyadicMatrix(13, 20, seed: 5)
        let q = rows[3]
        let got = TopK.search(query: q, matrix: m, k: 50)
        #expect(got.count == 13)
        #expect(got.map(\.index) == bruteForce(q, m, rows, k: 50).map(\.index))
        #expect(TopK.search(query: q, matrix: m, k: 0).isEmpty)
    }

    @Test func unitNormVectorsScoreByPlainDotProduct() {
        let rows = randomVectors(500, 33, seed: 3, normalized: true)  // 33: exercises row padding
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 33)
        #expect(m.isUnitNorm && m.stride == 48)
        let q = randomVectors(1, 33, seed: 4, normalized: true)[0]
        let got = TopK.search(query: q, matrix: m, k: 5)
        let scores = rows.map { r in Double(zip(q, r).reduce(0) { $0 + $1.0 * $1.1 }) }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        #expect(got.map(\.index) == Array(order.prefix(5)))
        for h in got { #expect(abs(Double(h.score) - scores[h.index]) < 1e-5) }
    }

    @Test func batchSearchAgreesWithSingleQueries() {
        let rows = randomVectors(2000, 24, seed: 8)
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 24)
        let queries = randomVectors(7, 24, seed: 9)
        let flat = queries.flatMap { $0 }
        let batch = flat.withUnsafeBufferPointer {
            TopK.searchBatch(queries: $0.baseAddress!, queryCount: 7, matrix: m, k: 10, threads: 2, blockRows: 300)
        }
        for (q, hits) in zip(queries, batch) {
            let single = TopK.search(query: q, matrix: m, k: 10)
            #expect(hits.map(\.index) == single.map(\.index))
            for (a, b) in zip(hits, single) { #expect(abs(a.score - b.score) < 1e-5) }
        }
    }

    /// Random unit vectors are a hard case for quantization (the top scores crowd together).
    @Test func quantizedSearchRecallsAtLeast99PercentOfExactTop10() {
        let rows = randomVectors(20000, 64, seed: 21, normalized: true)
        let m = VectorMatrix(ids: rows.indices.map(String.init), vectors: rows, dimension: 64)
        let qm = QuantizedMatrix(matrix: m)
        var found = 0, total = 0
        for q in randomVectors(30, 64, seed: 22, normalized: true) {
            let exact = TopK.search(query: q, matrix: m, k: 10)
            let approx = q.withUnsafeBufferPointer {
                TopK.searchInt8(query: $0.baseAddress!, matrix: m, quantized: qm, k: 10, threads: 2)
            }
            found += Set(exact.map(\.index)).intersection(approx.map(\.index)).count
            total += 10
            // Rescored scores are the exact ones.
            let exactScores = Dictionary(uniqueKeysWithValues: exact.map { ($0.index, $0.score) })
            for h in approx { if let s = exactScores[h.index] { #expect(s == h.score) } }
        }
        #expect(Double(found) / Double(total) >= 0.99)
    }

    @Test func quantizationUsesPerDimensionSymmetricScales() {
        let m = VectorMatrix(ids: ["a", "b"], vectors: [[0.5, -2, 0], [-1, 1, 0]], dimension: 3)
        let q = QuantizedMatrix(matrix: m)
        let expected: [Float] = [1 / 127, 2 / 127, 0]
        #expect(q.scales == expected)
        #expect(Array(UnsafeBufferPointer(start: q.row(0), count: 3)) == [64, -127, 0])
        #expect(Array(UnsafeBufferPointer(start: q.row(1), count: 3)) == [-127, 64, 0])
    }

    @Test func heapKeepsTheBestWithLowerIndexOnTies() {
        var heap = TopKHeap(capacity: 3)
        for (s, i) in [(1, 5), (3, 1), (2, 9), (3, 0), (2, 2), (0, 7)] as [(Float, Int)] { heap.push(s, i) }
        #expect(heap.sorted().map(\.index) == [0, 1, 2])
    }
}
