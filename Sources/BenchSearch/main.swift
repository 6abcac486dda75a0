// Search benchmark (run by scripts/bench/search.sh): N random unit vectors of dimension 384 from a
// seeded SplitMix64 (Box–Muller normals, L2-normalised) are written once to a vector store under
// /tmp, loaded back, and 100 further random unit queries (seed + 1) are timed one at a time:
// exact float32 top-10 (full scan, and bounded: read through the int8 codes with proven error
// bounds, checked identical to the full scan), int8 + float32-rescore top-10, the 4-bit scan +
// float32 rescore of `search --quantized` (`--nibble-candidates N`, default TopK.nibbleCandidates), with 1 and 2
// threads, plus one gemm batch of all queries. `--probe` adds the time of a plain SIMD sum over the float32 and the int8 bytes
// (the memory-bandwidth floor of each scan). Prints one JSON line. Usage:
//   embedtune-bench-search --n 1000000 [--dim 384] [--queries 100] [--k 10] [--seed 7] [--db PATH] [--probe]
//                          [--nibble-candidates N]
//   embedtune-bench-search --fill-store PATH --n N    (see FillStore.swift)
import Foundation
import Store
import Tensor

func argument(_ name: String, _ fallback: Int) -> Int {
    let a = CommandLine.arguments
    guard let i = a.firstIndex(of: name), i + 1 < a.count, let v = Int(a[i + 1]) else { return fallback }
    return v
}
func argument(_ name: String, _ fallback: String) -> String {
    let a = CommandLine.arguments
    guard let i = a.firstIndex(of: name), i + 1 < a.count else { return fallback }
    return a[i + 1]
}

let n = argument("--n", 100_000), dim = argument("--dim", 384), nq = argument("--queries", 100)
let k = argument("--k", 10), seed = UInt64(argument("--seed", 7))
let dbPath = argument("--db", "/tmp/embedtune-bench/search_\(n)_\(dim)_\(seed).db")

/// Unit vectors of `dim` normals (Box–Muller over SplitMix64), row-major.
func randomUnitVectors(_ count: Int, _ dim: Int, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    var out = [Float](repeating: 0, count: count * dim)
    for i in 0..<count {
        var norm: Float = 0
        for d in 0..<dim {
            let u1 = Swift.max(Float(rng.next() >> 40) * 0x1p-24, 0x1p-25), u2 = rng.nextUniform()
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Float.pi * u2)
            out[i * dim + d] = z
            norm += z * z
        }
        let inv = 1 / norm.squareRoot()
        for d in 0..<dim { out[i * dim + d] *= inv }
    }
    return out
}

func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) * 1e-9 }
func median(_ xs: [Double]) -> Double { let s = xs.sorted(); return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2 }
func ms(_ s: Double) -> Double { (s * 1e6).rounded() / 1e3 }

if CommandLine.arguments.contains("--fill-store") {
    do {
        try fillStore(path: argument("--fill-store", ""), n: n, dim: dim, seed: seed)
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("embedtune-bench-search: \(error)\n".utf8))
        exit(1)
    }
}

var result: [String: Any] = ["bench": "search", "n": n, "dim": dim, "k": k, "n_queries": nq, "db": dbPath]
do {
    try FileManager.default.createDirectory(atPath: (dbPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    var store = try VectorStore(path: dbPath)
    if try store.count() != n || store.int8Scales() == nil {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: dbPath + suffix) }
        store = try VectorStore(path: dbPath)
        try store.bind(model: StoreModelInfo(fingerprint: "bench-random-\(seed)", modelPath: "(random)", adapterPath: nil,
                                             dimension: dim, maxLength: 2, pooling: "none", normalize: true))
        let t0 = now()
        let batch = 10_000
        var written = 0
        while written < n {
            let m = Swift.min(batch, n - written)
            let v = randomUnitVectors(m, dim, seed: seed &+ UInt64(written) &* 0x9E37)
            let docs = (0..<m).map { j in
                StoredDocument(id: "d\(written + j)", title: nil, text: "", contentHash: "",
                               embedding: Array(v[(j * dim)..<((j + 1) * dim)]))
            }
            try store.upsert(docs)
            written += m
        }
        let t1 = now()
        try store.quantize()
        result["write_s"] = ms(t1 - t0) / 1e3
        result["quantize_s"] = ms(now() - t1) / 1e3
    }
    var t = now()
    let (matrix, quantized) = try store.loadQuantized()
    result["load_s"] = ms(now() - t) / 1e3
    let queries = randomUnitVectors(nq, dim, seed: seed &+ 1)
    if CommandLine.arguments.contains("--probe") {
        var ts: [Double] = []
        var sink: Float = 0
        for _ in 0..<20 { let t0 = now(); sink += VectorOps.sum(matrix.data, matrix.count * matrix.stride); ts.append(now() - t0) }
        result["probe_sum_ms_min"] = ms(ts.min()!)
        ts = []
        let floats = quantized.count * quantized.stride / 4
        for _ in 0..<20 {
            let t0 = now()
            sink += quantized.codes.withMemoryRebound(to: Float.self, capacity: floats) { VectorOps.sum($0, floats) }
            ts.append(now() - t0)
        }
        result["probe_sum_int8_bytes_ms_min"] = ms(ts.min()!)
        result["probe_sink_is_finite"] = sink.isFinite  // keeps the sums from being optimised away
    }

    func series(_ name: String, _ search: (UnsafePointer<Float>) -> [TopK.Hit]) -> (Double, [[Int]], [[Float]]) {
        queries.withUnsafeBufferPointer { q in
            for i in 0..<Swift.min(3, nq) { _ = search(q.start + i * dim) }
            var times: [Double] = [], hits: [[Int]] = [], scores: [[Float]] = []
            for i in 0..<nq {
                let t0 = now()
                let r = search(q.start + i * dim)
                times.append(now() - t0)
                hits.append(r.map(\.index))
                scores.append(r.map(\.score))
            }
            result[name + "_min_ms"] = ms(times.min() ?? 0)
            return (ms(median(times)), hits, scores)
        }
    }
    func recall(_ a: [[Int]], _ ref: [[Int]]) -> Double {
        let hit = zip(a, ref).reduce(0) { $0 + Set($1.0).intersection($1.1).count }
        return (Double(hit) / Double(ref.reduce(0) { $0 + $1.count }) * 1e4).rounded() / 1e4
    }
    let (exact1, reference, referenceScores) = series("exact_1t") { TopK.search(query: $0, matrix: matrix, k: k, scan: .exact, threads: 1) }
    let (exact2, _, _) = series("exact_2t") { TopK.search(query: $0, matrix: matrix, k: k, scan: .exact, threads: 2) }
    var rescored = 0
    let (bounded1, b1hits, b1scores) = series("bounded_1t") {
        var r = 0
        defer { rescored += r }
        return TopK.searchBounded(query: $0, matrix: matrix, quantized: quantized, k: k, threads: 1, rescored: &r)
    }
    let (bounded2, b2hits, b2scores) = series("bounded_2t") {
        TopK.search(query: $0, matrix: matrix, k: k, scan: .exactThroughInt8(quantized), threads: 2)
    }
    let (quant1, q1hits, _) = series("quantized_1t") { TopK.search(query: $0, matrix: matrix, k: k, scan: .int8(quantized), threads: 1) }
    let (quant2, _, _) = series("quantized_2t") { TopK.search(query: $0, matrix: matrix, k: k, scan: .int8(quantized), threads: 2) }
    t = now()
    let nibbles = NibbleMatrix(quantized: quantized)
    result["nibble_build_s"] = ms(now() - t) / 1e3
    let c4 = argument("--nibble-candidates", TopK.nibbleCandidates(k: k))
    result["nibble_candidates"] = c4
    let (nib1, n1hits, _) = series("nibble_1t") {
        TopK.search(query: $0, matrix: matrix, k: k, scan: .nibble(nibbles, candidates: c4), threads: 1)
    }
    let (nib2, _, _) = series("nibble_2t") {
        TopK.search(query: $0, matrix: matrix, k: k, scan: .nibble(nibbles, candidates: c4), threads: 2)
    }
    result["nibble_1t_median_ms"] = nib1
    result["nibble_2t_median_ms"] = nib2
    result["nibble_recall_at_k"] = recall(n1hits, reference)
    result["exact_1t_median_ms"] = exact1
    result["exact_2t_median_ms"] = exact2
    result["bounded_1t_median_ms"] = bounded1
    result["bounded_2t_median_ms"] = bounded2
    // The bounded search must return the full scan's answer: same rows, same scores, same order.
    result["bounded_identical_to_exact"] = b1hits == reference && b1scores == referenceScores
        && b2hits == reference && b2scores == referenceScores
    result["bounded_rescored_rows_per_query"] = Double(rescored) / Double(nq + Swift.min(3, nq))
    result["quantized_1t_median_ms"] = quant1
    result["quantized_2t_median_ms"] = quant2
    result["quantized_recall_at_k"] = recall(q1hits, reference)
    for threads in [1, 2] {
        t = now()
        let batch = queries.withUnsafeBufferPointer {
            TopK.searchBatch(queries: $0.start, queryCount: nq, matrix: matrix, k: k, threads: threads)
        }
        let total = now() - t
        result["batch_\(threads)t_per_query_ms"] = ms(total / Double(nq))
        result["batch_\(threads)t_recall_at_k"] = recall(batch.map { $0.map(\.index) }, reference)
    }
    let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("embedtune-bench-search: \(error)\n".utf8))
    exit(1)
}
