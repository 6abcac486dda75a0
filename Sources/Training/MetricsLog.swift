import Foundation

/// `metrics.jsonl` in a run's output directory: one JSON line per logged step and per evaluation.
final class MetricsLog {
    private let handle: FileHandle

    init(url: URL, truncate: Bool) throws {
        let fm = FileManager.default
        if truncate || !fm.fileExists(atPath: url.path) { fm.createFile(atPath: url.path, contents: nil) }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    func append(_ report: StepReport) throws {
        let record: [String: Any] = [
            "type": "step", "step": report.step, "epoch": report.epoch, "loss": Double(report.loss),
            "learning_rate": report.learningRate, "grad_norm": Double(report.gradientNorm),
            "pairs_per_second": report.pairsPerSecond, "elapsed_s": report.elapsedSeconds,
            "layer_grad_norms": Dictionary(
                report.layerGradientNorms.map { ($0.layer, Double($0.norm)) }, uniquingKeysWith: { a, _ in a }),
        ]
        try write(record)
    }

    func append(evaluation metrics: [String: Double], step: Int) throws {
        var record: [String: Any] = ["type": "eval", "step": step]
        for (k, v) in metrics { record[k] = v }
        try write(record)
    }

    /// The evaluation whose weights the output holds (`keepBest`).
    func append(selected step: Int, metric: String, value: Double) throws {
        try write(["type": "selected", "step": step, "metric": metric, "value": value])
    }

    private func write(_ record: [String: Any]) throws {
        var data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        data.append(0x0A)
        try handle.write(contentsOf: data)
    }
}
