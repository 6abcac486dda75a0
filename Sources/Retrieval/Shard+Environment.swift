import Foundation

/// `--shard auto`: the shard a batch scheduler gave this process, read from its environment.
///
/// - A Slurm job array (`sbatch --array=0-(n-1)`, also `--array=4-9` or `--array=0-20:4`): the shard is
///   `(SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP` of `SLURM_ARRAY_TASK_COUNT`
///   (Slurm's job array variables; the step is 1 when unset). An array with gaps (`--array=1,3,8`) has no such
///   numbering and is refused, as is one whose `SLURM_ARRAY_TASK_MAX` disagrees with the count.
/// - A Kubernetes Indexed Job (`completionMode: Indexed`): the shard is `JOB_COMPLETION_INDEX` of the
///   `count` given (`--shard-count`, the Job's `completions`): Kubernetes sets no count variable.
/// `count`, when given under Slurm, must equal `SLURM_ARRAY_TASK_COUNT`.
extension Shard {
    public static func fromEnvironment(_ environment: [String: String], count: Int?) throws(ShardError) -> Shard {
        let slurm = environment["SLURM_ARRAY_TASK_ID"]
        let kubernetes = environment["JOB_COMPLETION_INDEX"]
        if slurm != nil && kubernetes != nil { throw .ambiguous }
        if let count, count <= 0 { throw .badCount(count) }
        if slurm != nil { return try slurmArray(environment, count: count) }
        guard let kubernetes else { throw .noScheduler }
        let index = try integer("JOB_COMPLETION_INDEX", kubernetes)
        guard let count else { throw .kubernetesNeedsCount(index: index) }
        guard let shard = Shard(index: index, count: count) else {
            throw .indexOutOfRange(index: index, count: count, source: "JOB_COMPLETION_INDEX=\(index)")
        }
        return shard
    }

    private static func slurmArray(_ environment: [String: String], count given: Int?) throws(ShardError) -> Shard {
        func value(_ name: String) throws(ShardError) -> Int {
            guard let text = environment[name] else { throw .missing(name) }
            return try integer(name, text)
        }
        let id = try value("SLURM_ARRAY_TASK_ID")
        let count = try value("SLURM_ARRAY_TASK_COUNT")
        let minimum = try value("SLURM_ARRAY_TASK_MIN")
        let step = environment["SLURM_ARRAY_TASK_STEP"] == nil ? 1 : try value("SLURM_ARRAY_TASK_STEP")
        let source = "SLURM_ARRAY_TASK_ID=\(id), SLURM_ARRAY_TASK_MIN=\(minimum), SLURM_ARRAY_TASK_STEP=\(step), "
            + "SLURM_ARRAY_TASK_COUNT=\(count)"
        guard count > 0, step > 0 else { throw .inconsistent(source) }
        if environment["SLURM_ARRAY_TASK_MAX"] != nil {
            let maximum = try value("SLURM_ARRAY_TASK_MAX")
            guard maximum >= minimum, (maximum - minimum) % step == 0, (maximum - minimum) / step + 1 == count else {
                throw .slurmArrayWithGaps(minimum: minimum, maximum: maximum, step: step, count: count)
            }
        }
        guard id >= minimum, (id - minimum) % step == 0 else { throw .inconsistent(source) }
        let index = (id - minimum) / step
        if let given, given != count { throw .countDisagrees(given: given, slurm: count) }
        guard let shard = Shard(index: index, count: count) else {
            throw .indexOutOfRange(index: index, count: count, source: source)
        }
        return shard
    }

    private static func integer(_ name: String, _ text: String) throws(ShardError) -> Int {
        guard let value = Int(text.trimmingCharacters(in: .whitespaces)) else { throw .notAnInteger(name: name, value: text) }
        return value
    }
}

/// Why `--shard auto` found no shard; each case names the variable or option at fault.
public enum ShardError: Error, Equatable, CustomStringConvertible {
    /// Neither a Slurm array nor a Kubernetes Indexed Job variable is set.
    case noScheduler
    /// Both are set: which one to follow is not clear.
    case ambiguous
    /// A Slurm array variable that must accompany SLURM_ARRAY_TASK_ID is absent.
    case missing(String)
    case notAnInteger(name: String, value: String)
    /// JOB_COMPLETION_INDEX without --shard-count.
    case kubernetesNeedsCount(index: Int)
    case badCount(Int)
    /// --shard-count differs from SLURM_ARRAY_TASK_COUNT.
    case countDisagrees(given: Int, slurm: Int)
    /// The index lies outside 0..<count.
    case indexOutOfRange(index: Int, count: Int, source: String)
    /// The task id is not MIN + a multiple of STEP, or the count or step is not positive.
    case inconsistent(String)
    /// MIN...MAX by STEP does not hold SLURM_ARRAY_TASK_COUNT ids (an array such as --array=1,3,8).
    case slurmArrayWithGaps(minimum: Int, maximum: Int, step: Int, count: Int)

    public var description: String {
        switch self {
        case .noScheduler:
            return "--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX "
                + "(a Kubernetes Indexed Job) is set; give --shard i/n"
        case .ambiguous:
            return "--shard auto: both SLURM_ARRAY_TASK_ID and JOB_COMPLETION_INDEX are set; give --shard i/n"
        case .missing(let name):
            return "--shard auto: SLURM_ARRAY_TASK_ID is set but \(name) is not (Slurm sets it for job arrays)"
        case let .notAnInteger(name, value):
            return "--shard auto: \(name)=\"\(value)\" is not an integer"
        case .kubernetesNeedsCount(let index):
            return "--shard auto: JOB_COMPLETION_INDEX=\(index) gives the index only; give the number of shards "
                + "(the Job's completions) with --shard-count"
        case .badCount(let count):
            return "--shard-count must be positive, not \(count)"
        case let .countDisagrees(given, slurm):
            return "--shard-count \(given) disagrees with SLURM_ARRAY_TASK_COUNT=\(slurm)"
        case let .indexOutOfRange(index, count, source):
            return "--shard auto: shard index \(index) (from \(source)) is not in 0..<\(count)"
        case .inconsistent(let source):
            return "--shard auto: inconsistent Slurm array variables (\(source)): the task id must be "
                + "SLURM_ARRAY_TASK_MIN plus a multiple of SLURM_ARRAY_TASK_STEP"
        case let .slurmArrayWithGaps(minimum, maximum, step, count):
            return "--shard auto: the Slurm array \(minimum)-\(maximum)\(step == 1 ? "" : ":\(step)") does not hold "
                + "SLURM_ARRAY_TASK_COUNT=\(count) tasks (an array with gaps, such as --array=1,3,8, cannot number "
                + "shards); submit --array=0-\(count - 1), or give --shard i/n"
        }
    }
}
