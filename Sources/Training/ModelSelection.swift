import Encoder

/// Choosing the checkpoint from evaluations (transformers' `load_best_model_at_end` and
/// `EarlyStoppingCallback`): remembers the best evaluation's step, metric and — with `keepBest` — the
/// trainable weights, and counts evaluations without improvement for early stopping. Saved in
/// checkpoints, so a resumed run chooses as an uninterrupted one would.
public struct ModelSelection: Codable, Sendable, Equatable {
    /// The metric compared, higher is better.
    public var metric: String
    public var bestStep: Int?
    public var bestValue: Double?
    /// Evaluations since the best one.
    public var staleEvaluations = 0
    /// Stop after this many evaluations without improvement; nil never stops.
    public var patience: Int?

    public init(metric: String = "ndcg@10", patience: Int?) {
        self.metric = metric
        self.patience = patience
    }

    /// Records an evaluation; returns whether it is the best so far (ties keep the earlier step).
    public mutating func observe(step: Int, metrics: [String: Double]) -> Bool {
        guard let value = metrics[metric], value.isFinite else {
            staleEvaluations += 1
            return false
        }
        if let bestValue, value <= bestValue {
            staleEvaluations += 1
            return false
        }
        bestStep = step
        bestValue = value
        staleEvaluations = 0
        return true
    }

    /// Early stopping: `patience` evaluations in a row without improvement.
    public var shouldStop: Bool { patience.map { staleEvaluations >= $0 } ?? false }
}
