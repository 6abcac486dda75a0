import Foundation

/// Counters and histograms of the running service, written out in the Prometheus text format by
/// `GET /metrics`. Every method is thread-safe (one lock; each update is a few additions).
public final class ServiceMetrics: @unchecked Sendable {
    private struct RequestKey: Hashable { var route: String, method: String, status: Int }
    private struct ErrorKey: Hashable { var route: String, type: String }

    static let latencyBounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    static let queueBounds = [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]
    static let batchInputBounds: [Double] = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]
    static let batchTokenBounds: [Double] = [16, 64, 256, 1024, 2048, 4096, 8192, 16384]

    private let lock = NSLock()
    private var requests: [RequestKey: Int] = [:]
    private var errors: [ErrorKey: Int] = [:]
    private var latency: [String: Histogram] = [:]
    private var batchInputs = Histogram(bounds: ServiceMetrics.batchInputBounds)
    private var batchTokens = Histogram(bounds: ServiceMetrics.batchTokenBounds)
    private var forwardSeconds = Histogram(bounds: ServiceMetrics.latencyBounds)
    private var queueSeconds = Histogram(bounds: ServiceMetrics.queueBounds)
    private var embeddedInputs = 0
    private var indexFallbacks = 0

    public init() {}

    /// One answered request: its route (the matched route pattern, or `unmatched`), method,
    /// status, the error type when it failed, and the time from arrival to response.
    public func recordRequest(route: String, method: String, status: Int, errorType: String?, seconds: Double) {
        lock.withLock {
            requests[RequestKey(route: route, method: method, status: status), default: 0] += 1
            if let errorType { errors[ErrorKey(route: route, type: errorType), default: 0] += 1 }
            latency[route, default: Histogram(bounds: ServiceMetrics.latencyBounds)].observe(seconds)
        }
    }

    /// One forward pass of the batcher.
    public func recordBatch(inputs: Int, tokens: Int, seconds: Double) {
        lock.withLock {
            batchInputs.observe(Double(inputs))
            batchTokens.observe(Double(tokens))
            forwardSeconds.observe(seconds)
            embeddedInputs += inputs
        }
    }

    /// A search found a database's index file damaged and the database was reopened with its vectors
    /// read from SQLite (`LiveIndex.distrustIndex(at:)`).
    public func recordIndexFallback() {
        lock.withLock { indexFallbacks += 1 }
    }

    /// Time a request waited in the batch queue before its first input's forward pass began.
    public func recordQueueTime(seconds: Double) {
        lock.withLock { queueSeconds.observe(seconds) }
    }

    /// Every metric in the Prometheus text exposition format.
    public func exposition() -> String {
        lock.withLock {
            var out = ""
            let total = "embedtune_http_requests_total"
            out += PrometheusText.header(total, type: "counter", help: "HTTP requests answered, by route, method and status code.")
            for (key, n) in requests.sorted(by: { ($0.key.route, $0.key.method, $0.key.status) < ($1.key.route, $1.key.method, $1.key.status) }) {
                let labels = PrometheusText.labels([("route", key.route), ("method", key.method), ("status", String(key.status))])
                out += "\(total){\(labels)} \(n)\n"
            }
            let failed = "embedtune_http_request_errors_total"
            out += PrometheusText.header(failed, type: "counter", help: "HTTP requests answered with an error (status >= 400), by route and error type.")
            for (key, n) in errors.sorted(by: { ($0.key.route, $0.key.type) < ($1.key.route, $1.key.type) }) {
                out += "\(failed){\(PrometheusText.labels([("route", key.route), ("type", key.type)]))} \(n)\n"
            }
            let duration = "embedtune_http_request_duration_seconds"
            out += PrometheusText.header(duration, type: "histogram", help: "Time from a request's arrival to its response, by route.")
            for (route, histogram) in latency.sorted(by: { $0.key < $1.key }) {
                out += histogram.samples(name: duration, labels: PrometheusText.labels([("route", route)]))
            }
            for (name, help, histogram) in [
                ("embedtune_batch_inputs", "Sequences per encoder forward pass.", batchInputs),
                ("embedtune_batch_tokens", "Tokens per encoder forward pass.", batchTokens),
                ("embedtune_batch_forward_seconds", "Duration of one encoder forward pass.", forwardSeconds),
                ("embedtune_batch_queue_seconds",
                 "Time a request waited in the batch queue before its forward pass began.", queueSeconds),
            ] {
                out += PrometheusText.header(name, type: "histogram", help: help)
                out += histogram.samples(name: name, labels: "")
            }
            let embedded = "embedtune_embedded_inputs_total"
            out += PrometheusText.header(embedded, type: "counter", help: "Texts embedded.")
            out += "\(embedded) \(embeddedInputs)\n"
            let fallbacks = "embedtune_search_index_fallbacks_total"
            out += PrometheusText.header(
                fallbacks, type: "counter",
                help: "Databases reopened with their vectors read from SQLite because a search found their index file damaged.")
            out += "\(fallbacks) \(indexFallbacks)\n"
            return out
        }
    }
}
