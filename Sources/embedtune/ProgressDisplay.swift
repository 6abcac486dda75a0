import Foundation

/// Draws progress on standard error: a bar redrawn in place on a terminal, plain log lines otherwise.
final class ProgressDisplay {
    let label: String
    let isTerminal = isatty(2) == 1
    private var lastPlain = 0.0
    private let start = DispatchTime.now().uptimeNanoseconds

    init(label: String) { self.label = label }

    var elapsed: Double { Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 }

    /// `done` of `total` units; `detail` is appended (loss, rate, ...). Plain output at most every 5 s
    /// (and at the end) so logs stay readable. The rate and ETA appear from `rateAfter` seconds on:
    /// before, they would measure nothing but units that needed no work (texts embedded earlier).
    func update(done: Int, total: Int, unit: String, detail: String = "") {
        let elapsed = elapsed
        var line = "\(label) \(done)/\(total) \(unit)"
        if elapsed >= Self.rateAfter {
            let rate = Double(done) / elapsed
            let eta = rate > 0 ? Double(total - done) / rate : 0
            line += " \(String(format: "%.1f", rate)) \(unit)/s ETA \(Self.clock(eta))"
        }
        line += detail.isEmpty ? "" : " " + detail
        if isTerminal {
            let width = 24, filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            Self.write("\r\u{1B}[2K[\(bar)] " + line + (done >= total ? "\n" : ""))
        } else if elapsed - lastPlain >= 5 || done >= total {
            lastPlain = elapsed
            Self.write(line + "\n")
        }
    }

    /// Seconds of work before a rate means anything.
    static let rateAfter = 1.0

    static func clock(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    static func write(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }

    /// "COMMAND: computing the int8 copy of N vectors" (`quantizing`) or "COMMAND: writing the search
    /// index of N vectors", the last stages of `encode` and `merge-stores`.
    static func finalStage(_ command: String, quantizing: Bool, rows: Int) -> String {
        "\(command): " + (quantizing ? "computing the int8 copy" : "writing the search index") + " of \(rows) vectors\n"
    }

    /// Peak resident set size of this process (VmHWM), in MiB.
    static func peakRSSMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return (line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
        }
        return 0
    }
}
