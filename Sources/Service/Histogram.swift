/// A Prometheus histogram: counts of observations at or below each upper bound, their sum and
/// count (https://prometheus.io/docs/concepts/metric_types/#histogram). Not synchronised; the
/// owner (`ServiceMetrics`) holds the lock.
struct Histogram: Sendable {
    /// Upper bounds, ascending; `+Inf` is implicit.
    let bounds: [Double]
    /// (bounds.count) observations in (bounds[i-1], bounds[i]] — made cumulative when written.
    private(set) var counts: [Int]
    private(set) var sum: Double = 0
    private(set) var count: Int = 0

    init(bounds: [Double]) {
        precondition(!bounds.isEmpty && zip(bounds, bounds.dropFirst()).allSatisfy { $0 < $1 },
                     "histogram bounds must be non-empty and strictly ascending")
        self.bounds = bounds
        counts = [Int](repeating: 0, count: bounds.count)
    }

    mutating func observe(_ value: Double) {
        if let i = bounds.firstIndex(where: { value <= $0 }) { counts[i] += 1 }
        sum += value
        count += 1
    }

    /// The `_bucket`, `_sum` and `_count` sample lines of metric `name`, with `labels` (already
    /// formatted `key="value"` pairs, may be empty) on every line.
    func samples(name: String, labels: String) -> String {
        var out = ""
        let prefix = labels.isEmpty ? "" : labels + ","
        var cumulative = 0
        for (bound, n) in zip(bounds, counts) {
            cumulative += n
            out += "\(name)_bucket{\(prefix)le=\"\(PrometheusText.number(bound))\"} \(cumulative)\n"
        }
        out += "\(name)_bucket{\(prefix)le=\"+Inf\"} \(count)\n"
        let braces = labels.isEmpty ? "" : "{\(labels)}"
        out += "\(name)_sum\(braces) \(PrometheusText.number(sum))\n"
        out += "\(name)_count\(braces) \(count)\n"
        return out
    }
}

/// Pieces of the Prometheus text exposition format
/// (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
enum PrometheusText {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// `# HELP` and `# TYPE` lines of a metric family.
    static func header(_ name: String, type: String, help: String) -> String {
        "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
    }

    /// `key="value"` pairs, values escaped as the format requires (`\\`, `\"`, `\n`).
    static func labels(_ pairs: [(String, String)]) -> String {
        pairs.map { key, value in
            var escaped = ""
            for ch in value {
                switch ch {
                case "\\": escaped += "\\\\"
                case "\"": escaped += "\\\""
                case "\n": escaped += "\\n"
                default: escaped.append(ch)
                }
            }
            return "\(key)=\"\(escaped)\""
        }.joined(separator: ",")
    }

    /// A sample value as Go's `strconv.ParseFloat` reads it: integers without a fraction, others
    /// in Swift's shortest round-trip form (`0.005`, `1.5e-05`).
    static func number(_ x: Double) -> String {
        if x.isNaN { return "NaN" }
        if x.isInfinite { return x > 0 ? "+Inf" : "-Inf" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        return x.description
    }
}
