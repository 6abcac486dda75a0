@testable import Retrieval
import Testing

/// `encode --shard auto`: the shard from a Slurm job array or a Kubernetes Indexed Job.
struct ShardEnvironmentTests {
    @Test func aSlurmArrayNumbersShardsFromItsFirstTaskId() throws {
        let array = ["SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_COUNT": "3"]
        for (id, index) in [("4", 0), ("5", 1), ("6", 2)] {
            let shard = try Shard.fromEnvironment(array.merging(["SLURM_ARRAY_TASK_ID": id]) { $1 }, count: nil)
            #expect(shard == Shard(index: index, count: 3))
        }
        let stepped = ["SLURM_ARRAY_TASK_ID": "20", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "20",
                       "SLURM_ARRAY_TASK_STEP": "10", "SLURM_ARRAY_TASK_COUNT": "3"]
        #expect(try Shard.fromEnvironment(stepped, count: 3) == Shard(index: 2, count: 3))
    }

    @Test func aKubernetesIndexedJobNeedsTheCountOption() throws {
        #expect(try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2"], count: 3) == Shard(index: 2, count: 3))
        #expect(throws: ShardError.kubernetesNeedsCount(index: 2)) { try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "2"], count: nil) }
        #expect(throws: ShardError.indexOutOfRange(index: 3, count: 3, source: "JOB_COMPLETION_INDEX=3")) {
            try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "3"], count: 3)
        }
        #expect(throws: ShardError.notAnInteger(name: "JOB_COMPLETION_INDEX", value: "two")) {
            try Shard.fromEnvironment(["JOB_COMPLETION_INDEX": "two"], count: 3)
        }
    }

    @Test func absentOrInconsistentVariablesAreRefusedByName() throws {
        #expect(throws: ShardError.noScheduler) { try Shard.fromEnvironment(["HOME": "/"], count: nil) }
        #expect(throws: ShardError.ambiguous) {
            try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0", "JOB_COMPLETION_INDEX": "0"], count: 1)
        }
        #expect(throws: ShardError.missing("SLURM_ARRAY_TASK_COUNT")) {
            try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "0"], count: nil)
        }
        #expect(throws: ShardError.missing("SLURM_ARRAY_TASK_MIN")) {
            try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "2"], count: nil)
        }
        let base = ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_COUNT": "2"]
        #expect(throws: ShardError.countDisagrees(given: 3, slurm: 2)) { try Shard.fromEnvironment(base, count: 3) }
        #expect(throws: ShardError.slurmArrayWithGaps(minimum: 1, maximum: 8, step: 1, count: 3)) {
            try Shard.fromEnvironment(
                ["SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "8", "SLURM_ARRAY_TASK_COUNT": "3"],
                count: nil)
        }
        #expect(throws: ShardError.self) {
            try Shard.fromEnvironment(["SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "2"], count: nil)
        }
        #expect(ShardError.kubernetesNeedsCount(index: 1).description.contains("--shard-count"))
        #expect(ShardError.noScheduler.description.contains("SLURM_ARRAY_TASK_ID"))
    }
}
