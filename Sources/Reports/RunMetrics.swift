import Datasets
import Foundation

/// The curves of one training run, read back from the `metrics.jsonl` that `Trainer` writes
/// (see MetricsLog): "step" lines (step, loss, learning_rate, grad_norm, ...) and "eval" lines (step and
/// one number per metric). When a run was resumed, steps after its checkpoint appear twice; the later
/// line wins.
public struct RunMetrics: Sendable {
    public struct Step: Sendable, Equatable {
        public var step: Int
        public var loss: Double
        public var learningRate: Double?
        public var gradientNorm: Double?
    }

    public struct Evaluation: Sendable, Equatable {
        public var step: Int
        public var metrics: [String: Double]
    }

    /// Legend name: the run directory's name.
    public var name: String
    public var steps: [Step]  // by step, unique
    public var evaluations: [Evaluation]  // by step, unique

    public init(name: String, steps: [Step], evaluations: [Evaluation]) {
        self.name = name
        self.steps = steps
        self.evaluations = evaluations
    }

    /// Reads `<directory>/metrics.jsonl`; errors name the directory, or the file, line and field.
    public static func load(runDirectory directory: URL) throws -> RunMetrics {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory) else {
            throw RunMetricsError.noRunDirectory(path: directory.path)
        }
        let file = isDirectory.boolValue ? directory.appendingPathComponent("metrics.jsonl") : directory
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw RunMetricsError.noMetricsFile(directory: directory.path)
        }
        let name = (isDirectory.boolValue ? directory : directory.deletingLastPathComponent()).standardizedFileURL
            .lastPathComponent
        return try parse(lines: try JSONObjectLine.objects(path: file.path), name: name, file: file.path)
    }

    static func parse(lines: [JSONObjectLine], name: String, file: String) throws -> RunMetrics {
        var steps: [Int: Step] = [:], evaluations: [Int: Evaluation] = [:]
        for line in lines {
            let type = try line.string("type")
            switch type {
            case "step":
                let step = Step(
                    step: try line.integer("step"), loss: try line.number("loss"),
                    learningRate: try line.optionalNumber("learning_rate"), gradientNorm: try line.optionalNumber("grad_norm"))
                steps[step.step] = step
            case "eval":
                let step = try line.integer("step")
                var metrics: [String: Double] = [:]
                for key in line.object.keys where key != "type" && key != "step" { metrics[key] = try line.number(key) }
                evaluations[step] = Evaluation(step: step, metrics: metrics)
            case "selected":
                continue  // which evaluation's weights the output holds; not a point of a curve
            default:
                throw DataError.wrongType(file: line.file, line: line.line, field: "type", expected: "\"step\" or \"eval\"")
            }
        }
        guard !steps.isEmpty || !evaluations.isEmpty else { throw RunMetricsError.empty(file: file) }
        return RunMetrics(
            name: name, steps: steps.values.sorted { $0.step < $1.step },
            evaluations: evaluations.values.sorted { $0.step < $1.step })
    }

    /// The metric a plot shows: ndcg@10 when any run has it, else the first metric name in order.
    public static func evaluationMetric(_ runs: [RunMetrics]) -> String? {
        let names = Set(runs.flatMap { $0.evaluations.flatMap { $0.metrics.keys } })
        return names.contains("ndcg@10") ? "ndcg@10" : names.sorted().first
    }
}

/// Why a run directory cannot be plotted.
public enum RunMetricsError: Error, Equatable, CustomStringConvertible {
    case noRunDirectory(path: String)
    case noMetricsFile(directory: String)
    case empty(file: String)

    public var description: String {
        switch self {
        case .noRunDirectory(let path): "\(path): no such run directory"
        case .noMetricsFile(let directory): "\(directory): no metrics.jsonl (is it the --output of embedtune train?)"
        case .empty(let file): "\(file): no step or eval lines"
        }
    }
}
