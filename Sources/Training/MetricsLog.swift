import Foundation

/// `metrics.jsonl` in a run's output directory: one JSON line per logged step and per evaluation.
final class MetricsLog {
    private let handle: FileHandle

    /// A new log, or with `resumedAt` (the step a resumed run continues after) the existing one with
    /// every line past that step removed — lines the killed run wrote after its last checkpoint, and a
    /// line cut off half-way — so that the resumed run's lines follow without repeated steps.
    init(url: URL, resumedAt: Int?) throws {
        let fm = FileManager.default
        if let resumedAt, let data = fm.contents(atPath: url.path) {
            var kept = Data()
            for line in data.split(separator: 0x0A) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                      let step = object["step"] as? Int, step <= resumedAt, object["type"] as? String != "selected"
                else { continue }
                kept.append(contentsOf: line)
                kept.append(0x0A)
            }
            try kept.write(to: url, options: .atomic)
        } else {
            fm.createFile(atPath: url.path, contents: nil)
        }
        handle = try FileHandle(forWritingTo: url)
        try handle.seekToEnd()
    }

    deinit { try? handle.close() }

    func append(_ report: StepReport) throws {
        var record: [String: Any] = [
            "type": "step", "step": report.step, "epoch": report.epoch, "loss": Double(report.loss),
            "learning_rate": report.learningRate, "grad_norm": Double(report.gradientNorm),
            "pairs_per_second": report.pairsPerSecond, "elapsed_s": report.elapsedSeconds,
            "layer_grad_norms": Dictionary(
                report.layerGradientNorms.map { ($0.layer, Double($0.norm)) }, uniquingKeysWith: { a, _ in a }),
        ]
        if let communication = report.communicationSeconds { record["communication_s"] = communication }
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
