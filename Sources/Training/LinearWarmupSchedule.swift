/// Linear warmup then linear decay to zero: transformers' `get_linear_schedule_with_warmup`
/// (optimization.py), which a `LambdaLR` applies as
///
///     lr(step) = base * step / max(1, warmup)                                  for step < warmup
///     lr(step) = base * max(0, (total - step) / max(1, total - warmup))        otherwise
///
/// The scheduler steps after the optimizer, so optimizer step k (0-based) uses `learningRate(atStep: k)`:
/// the very first update runs at learning rate 0 when there is any warmup.
public struct LinearWarmupSchedule: Sendable, Codable, Equatable {
    public let baseLearningRate: Double
    public let warmupSteps: Int
    public let totalSteps: Int

    public init(baseLearningRate: Double, warmupSteps: Int, totalSteps: Int) {
        precondition(warmupSteps >= 0 && totalSteps >= 0, "step counts must be non-negative")
        self.baseLearningRate = baseLearningRate
        self.warmupSteps = warmupSteps
        self.totalSteps = totalSteps
    }

    /// Warmup of `warmupSteps(ratio:totalSteps:)`.
    public init(baseLearningRate: Double, warmupRatio: Double, totalSteps: Int) {
        self.init(baseLearningRate: baseLearningRate,
                  warmupSteps: Self.warmupSteps(ratio: warmupRatio, totalSteps: totalSteps), totalSteps: totalSteps)
    }

    /// transformers' `TrainingArguments.get_warmup_steps` for a ratio below 1:
    /// `math.ceil(num_training_steps * warmup_ratio)`, in double precision (so 100 × 0.07 = 7.000000000000001 gives 8).
    public static func warmupSteps(ratio: Double, totalSteps: Int) -> Int {
        precondition((0...1).contains(ratio), "warmup ratio must lie in [0, 1], got \(ratio)")
        return Int((Double(totalSteps) * ratio).rounded(.up))
    }

    public func learningRate(atStep step: Int) -> Double {
        let factor: Double
        if step < warmupSteps {
            factor = Double(step) / Double(max(1, warmupSteps))
        } else {
            factor = max(0, Double(totalSteps - step) / Double(max(1, totalSteps - warmupSteps)))
        }
        return baseLearningRate * factor
    }
}
