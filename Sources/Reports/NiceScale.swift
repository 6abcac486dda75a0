import Foundation

/// An axis from data values to tick positions with "nice" numbers (1, 2 or 5 × 10^k), after Heckbert,
/// "Nice numbers for graph labels", Graphics Gems (1990). A logarithmic axis ticks at powers of ten
/// (and at 2 and 5 × 10^k when it spans less than two decades).
public struct NiceScale: Sendable {
    public let lower: Double
    public let upper: Double
    public let ticks: [Double]
    public let logarithmic: Bool
    /// Spacing of linear ticks (decides how many decimals labels need); 0 on a log axis.
    let step: Double

    /// A linear axis covering [low, high] with about `count` ticks; the bounds are rounded outward to
    /// ticks. An empty or one-value range is widened around its value.
    public init(low: Double, high: Double, count: Int = 5) {
        precondition(low.isFinite && high.isFinite && low <= high && count >= 2, "NiceScale needs finite low <= high")
        var lo = low, hi = high
        if hi - lo < max(abs(hi), 1e-300) * 1e-9 {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
        }
        let range = Self.nice(hi - lo, round: false)
        let step = Self.nice(range / Double(count - 1), round: true)
        let first = (lo / step).rounded(.down), last = (hi / step).rounded(.up)
        lower = first * step
        upper = last * step
        ticks = stride(from: first, through: last + 0.5, by: 1).map { ($0 * step).magnitude < step * 1e-9 ? 0 : $0 * step }
        self.step = step
        logarithmic = false
    }

    /// A logarithmic axis over [low, high], both positive, bounds rounded out to whole decades.
    public init(logLow low: Double, high: Double) {
        precondition(low > 0 && high >= low && high.isFinite, "a log axis needs 0 < low <= high")
        var lo = log10(low).rounded(.down), hi = log10(high).rounded(.up)
        if hi == lo { hi += 1 }
        if hi - lo > 12 { lo = hi - 12 }  // keep at most 12 decades legible
        lower = pow(10, lo)
        upper = pow(10, hi)
        var ticks: [Double] = []
        for e in stride(from: lo, through: hi, by: 1) {
            let decade = pow(10, e)
            ticks.append(decade)
            if hi - lo < 2 && e < hi { ticks += [2 * decade, 5 * decade] }
        }
        self.ticks = ticks
        step = 0
        logarithmic = true
    }

    /// Position of `value` in [0, 1] along the axis (outside for values beyond the bounds).
    public func fraction(_ value: Double) -> Double {
        if logarithmic {
            guard value > 0 else { return -.infinity }
            return (log10(value) - log10(lower)) / (log10(upper) - log10(lower))
        }
        return (value - lower) / (upper - lower)
    }

    /// A tick label: plain decimals with as many digits as the tick spacing needs, or scientific
    /// notation ("2e-5", "1.5e4") for very small or large values.
    public func label(_ value: Double) -> String {
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if logarithmic || magnitude < 1e-3 || magnitude >= 1e5 {
            var exponent = Int(log10(magnitude).rounded(.down))
            var mantissa = Self.trimmed(String(format: "%.2f", magnitude / pow(10, Double(exponent))))
            if mantissa == "10" {  // log10 rounding just below a power of ten
                mantissa = "1"
                exponent += 1
            }
            let sign = value < 0 ? "-" : ""
            return exponent == 0 ? sign + mantissa : "\(sign)\(mantissa)e\(exponent)"
        }
        let decimals = step > 0 ? max(0, Int((-log10(step)).rounded(.up))) : 0
        return String(format: "%.\(min(decimals, 8))f", value)
    }

    /// "2.50" → "2.5", "3.00" → "3"; integers are left alone.
    static func trimmed(_ text: String) -> String {
        guard text.contains(".") else { return text }
        var s = Substring(text)
        while s.hasSuffix("0") { s = s.dropLast() }
        if s.hasSuffix(".") { s = s.dropLast() }
        return String(s)
    }

    /// The nice number near x: 1, 2, 5 or 10 × 10^k (rounded, or the smallest not below x).
    static func nice(_ x: Double, round: Bool) -> Double {
        let exponent = log10(x).rounded(.down)
        let fraction = x / pow(10, exponent)
        let niceFraction: Double
        if round {
            niceFraction = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            niceFraction = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return niceFraction * pow(10, exponent)
    }
}
