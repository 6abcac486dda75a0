import Encoder
import Foundation
import Tensor

/// Timing used by scripts/bench: the same work the peer programs time (tokenisation, forward, pooling,
/// normalisation), after a warm-up, median of repeats; one JSON line on standard output.
enum Benchmark {
    static func encode(_ encoder: SentenceEncoder, _ texts: [String], batchSize: Int, threads: Int, repeats: Int) throws {
        _ = encoder.encode(Array(texts.prefix(512)), batchSize: batchSize, threads: threads)
        var times: [Double] = []
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = encoder.encode(texts, batchSize: batchSize, threads: threads)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let median = times.sorted()[times.count / 2]
        let tokens = encoder.tokenize(texts).reduce(0) { $0 + $1.count }
        let record: [String: Any] = [
            "bench": "encode_embedtune", "threads": threads, "batch_size": batchSize, "max_seq_length": encoder.maxLength,
            "n_sentences": texts.count, "tokens": tokens, "repeats_s": times, "median_s": median,
            "sentences_per_s": Double(texts.count) / median, "peak_rss_mib": ProgressDisplay.peakRSSMiB(),
            "blas_core": OpenBLASCore.name,
        ]
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
