/// Something in a run that looks wrong while it still trains.
public enum TrainingWarning: Sendable, Equatable, CustomStringConvertible {
    /// The mean training loss changed by less than `tolerance` (relative) over `windows` checks ending
    /// at `step`.
    case lossStalled(step: Int, loss: Float, windows: Int, tolerance: Float)
    /// The global gradient norm fell below `limit`; `layer` has the smallest norm.
    case vanishingGradient(step: Int, norm: Float, limit: Float, layer: LayerGradientNorm?)
    /// The global gradient norm rose above `limit`; `layer` has the largest norm.
    case explodingGradient(step: Int, norm: Float, limit: Float, layer: LayerGradientNorm?)

    public var description: String {
        func named(_ layer: LayerGradientNorm?, _ what: String) -> String {
            layer.map { "; \(what) is \($0.layer) (\($0.norm))" } ?? ""
        }
        switch self {
        case .lossStalled(let step, let loss, let windows, let tolerance):
            return "step \(step): the training loss has not moved over the last \(windows) checks "
                + "(stays at \(loss), relative change < \(tolerance)); check the learning rate and the data"
        case .vanishingGradient(let step, let norm, let limit, let layer):
            return "step \(step): gradient norm \(norm) is below \(limit) (vanishing)"
                + named(layer, "the smallest layer norm")
        case .explodingGradient(let step, let norm, let limit, let layer):
            return "step \(step): gradient norm \(norm) is above \(limit) (exploding)"
                + named(layer, "the largest layer norm")
        }
    }
}

/// Early warnings for a run: a loss that stopped moving, a gradient norm that vanishes or explodes.
/// Each condition warns when it starts and again only after it has cleared, so a long stall does not
/// flood the log.
///
/// The loss is checked over windows: `observe(loss:)` every step, `closeWindow(step:)` at every check
/// point (each evaluation, or each logged step when the run does not evaluate); the window means of the
/// last `patience` checks are compared.
public struct TrainingMonitor: Sendable {
    public var patience = 3
    public var lossTolerance: Float = 1e-4
    public var minimumGradientNorm: Float = 1e-8
    public var maximumGradientNorm: Float = 1e4

    private var windowSum = 0.0, windowCount = 0
    private var windowMeans: [Double] = []
    private var stalled = false, vanishing = false, exploding = false

    public init() {}

    public mutating func observe(loss: Float) {
        windowSum += Double(loss)
        windowCount += 1
    }

    /// Ends a loss window; warns when the last `patience` window means agree to `lossTolerance`.
    public mutating func closeWindow(step: Int) -> TrainingWarning? {
        guard windowCount > 0 else { return nil }
        windowMeans.append(windowSum / Double(windowCount))
        windowSum = 0
        windowCount = 0
        if windowMeans.count > patience { windowMeans.removeFirst(windowMeans.count - patience) }
        guard windowMeans.count == patience, let low = windowMeans.min(), let high = windowMeans.max() else {
            return nil
        }
        let scale = max(abs(windowMeans[windowMeans.count - 1]), 1e-12)
        let flat = (high - low) / scale < Double(lossTolerance)
        defer { stalled = flat }
        guard flat, !stalled else { return nil }
        return .lossStalled(step: step, loss: Float(windowMeans[windowMeans.count - 1]), windows: patience, tolerance: lossTolerance)
    }

    /// Checks a step's global gradient norm (before clipping); `layers` names the culprit.
    public mutating func check(gradientNorm norm: Float, layers: [LayerGradientNorm], step: Int) -> TrainingWarning? {
        let low = norm < minimumGradientNorm, high = norm > maximumGradientNorm || !norm.isFinite
        defer {
            vanishing = low
            exploding = high
        }
        if low && !vanishing {
            return .vanishingGradient(
                step: step, norm: norm, limit: minimumGradientNorm, layer: layers.min { $0.norm < $1.norm })
        }
        if high && !exploding {
            return .explodingGradient(
                step: step, norm: norm, limit: maximumGradientNorm,
                layer: layers.max { !$1.norm.isFinite ? $0.norm.isFinite : $0.norm < $1.norm })
        }
        return nil
    }
}
