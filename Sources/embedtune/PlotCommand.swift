import ArgumentParser
import Foundation
import Reports
import Training

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Draw the learning curves of one or more training runs as an SVG file.",
        discussion: """
            Each RUN_DIR is the --output directory of `embedtune train` (its metrics.jsonl is read).
            Panels: training loss (raw and smoothed), learning rate, gradient norm and the evaluation
            metric (ndcg@10 when present) over steps. Several runs overlay on the same axes, one color
            each, named by their directory. The SVG is self-contained: open it in a browser, or convert
            it with `rsvg-convert curves.svg -o curves.png`.
            """)

    @Argument(help: "Run directories (the --output of embedtune train).") var runs: [String]
    @Option(help: "The SVG file to write.") var output: String = "curves.svg"
    @Option(parsing: .unconditional, help: "Smoothing weight of the loss's moving average, in [0, 1) (TensorBoard's 0.6).") var smoothing: Double = 0.6
    @Option(help: "Title above the panels.") var title: String = "Training curves"

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
        guard (0..<1).contains(smoothing) else { throw ValidationError("--smoothing must lie in [0, 1)") }
        // Only an .svg: an --output inside a run directory then cannot replace its metrics or adapter.
        guard output.lowercased().hasSuffix(".svg") else { throw ValidationError("--output must name an .svg file, not \(output)") }
    }

    func run() throws {
        var metrics = try runs.map { try RunMetrics.load(runDirectory: URL(fileURLWithPath: $0)) }
        // Legend names are directory names; where two runs share one, show the paths as given.
        let names = metrics.map(\.name)
        for i in metrics.indices where names.filter({ $0 == names[i] }).count > 1 { metrics[i].name = runs[i] }
        var plot = LearningCurvePlot()
        plot.smoothing = smoothing
        plot.title = title
        let url = URL(fileURLWithPath: output)
        do {
            try Data(plot.render(metrics).utf8).write(to: url, options: .atomic)
        } catch {
            throw PlotWriteError(path: output, reason: error.localizedDescription)
        }
        let steps = metrics.map { "\($0.name) \($0.steps.count) steps, \($0.evaluations.count) evaluations" }
        FileHandle.standardError.write(Data("plot: wrote \(output) (\(steps.joined(separator: "; ")))\n".utf8))
    }
}

/// The SVG file could not be written.
struct PlotWriteError: Error, CustomStringConvertible {
    let path: String
    let reason: String
    var description: String { "\(path): cannot write: \(reason)" }
}
