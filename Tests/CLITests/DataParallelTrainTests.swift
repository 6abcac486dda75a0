import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `mpirun -np 2 embedtune train`: data-parallel training with the global batch split over two ranks must
/// reach the losses and weights of one process training on the same global batch (dropout 0; the
/// difference is float rounding only), and a rank that dies or hangs must end the whole job with a
/// message instead of leaving the other waiting.
@Suite(.serialized) struct DataParallelTrainTests {
    static let model = Repository.tinyModel.path

    /// 96 pairs of seeded random words, each positive starting with its anchor's first three words;
    /// `negatives` adds a hard-negative column.
    static func pairs(in dir: Scratch, negatives: Bool = false) throws -> String {
        let lines = generatedLines(288, seed: 7).split(separator: "\n").map(String.init)
        let rows = try (0..<96).map { i in
            // the positive shares the anchor's first words, so that retrieval has something to find
            let shared = lines[i].split(separator: " ").prefix(3).joined(separator: " ")
            var row = ["anchor": lines[i], "positive": shared + " " + lines[96 + i]]
            if negatives { row["negative"] = lines[192 + i] }
            return String(decoding: try JSONSerialization.data(withJSONObject: row, options: [.sortedKeys]), as: UTF8.self)
        }
        return try dir.write(negatives ? "pairs-negatives.jsonl" : "pairs.jsonl", rows.joined(separator: "\n") + "\n")
    }

    static func train(data: String, output: String, batch: Int = 32, steps: Int = 5, lr: String = "1e-3", _ extra: [String]) -> [String] {
        ["train", "--model", model, "--data", data, "--output", output, "--batch-size", String(batch),
         "--max-steps", String(steps), "--dropout", "0", "--threads", "1", "--lr", lr, "--warmup-ratio", "0"] + extra
    }

    static func losses(_ output: String) throws -> [Double] {
        let text = try String(contentsOfFile: output + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return record?["type"] as? String == "step" ? record?["loss"] as? Double : nil
        }
    }

    /// Trains once in one process and once over two ranks, and compares the five losses and the result's weights.
    func expectTwoRanksMatchOneProcess(
        negatives: Bool = false, lr: String = "1e-3", _ extra: [String], result: String = "adapter_model.safetensors"
    ) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try Self.pairs(in: dir, negatives: negatives)
        let single = try runEmbedTune(Self.train(data: data, output: dir.path("single"), lr: lr, extra))
        try #require(single.status == 0, "one process: \(single.stderr)")
        let job = try MPIJob(ranks: 2, arguments: Self.train(data: data, output: dir.path("ranks"), lr: lr, extra), scratch: dir)
        try #require(job.wait(seconds: 300), "mpirun did not finish: \(job.stderr)")
        try #require(job.status == 0, "mpirun: \(job.stderr)")
        #expect(job.stderr.contains("train: 2 ranks"))

        #expect(try Self.evaluations(dir.path("single")) == Self.evaluations(dir.path("ranks")))
        let expected = try Self.losses(dir.path("single")), found = try Self.losses(dir.path("ranks"))
        try #require(expected.count == 5 && found.count == 5, "\(expected) \(found)")
        for (a, b) in zip(expected, found) { #expect(abs(a - b) <= 1e-5, "losses \(expected) vs \(found)") }
        let one = try safeTensorsFloats(URL(fileURLWithPath: dir.path("single/\(result)")))
        let two = try safeTensorsFloats(URL(fileURLWithPath: dir.path("ranks/\(result)")))
        #expect(Set(one.keys) == Set(two.keys))
        var largest: Float = 0
        for (name, values) in one {
            let other = try #require(two[name])
            try #require(other.count == values.count)
            for (x, y) in zip(values, other) { largest = max(largest, abs(x - y)) }
        }
        #expect(largest <= 1e-5, "largest weight difference \(largest)")
        // rank 1 wrote nothing: no second checkpoint, no stray temporary directory
        let written = try FileManager.default.contentsOfDirectory(atPath: dir.path("ranks"))
        #expect(!written.contains { $0.hasPrefix("checkpoint.tmp") }, "\(written)")
    }

    @Test func twoRanksReachTheLossesAndAdapterOfOneProcess() throws {
        try expectTwoRanksMatchOneProcess([])
    }

    @Test func twoRanksMatchOneProcessWithGradCache() throws {
        try expectTwoRanksMatchOneProcess(["--mini-batch-size", "10"])
    }

    @Test func twoRanksMatchOneProcessWithHardNegatives() throws {
        try expectTwoRanksMatchOneProcess(negatives: true, [])
    }

    @Test func twoRanksMatchOneProcessWithGuideMatryoshkaAndRotation() throws {
        try expectTwoRanksMatchOneProcess(negatives: true, ["--guide", "base", "--matryoshka-dims", "32,16", "--symmetric"])
    }

    @Test func twoRanksMatchOneProcessInFullFineTuning() throws {
        try expectTwoRanksMatchOneProcess(lr: "1e-4", ["--full"], result: "model.safetensors")
    }

    @Test func twoRanksEvaluateAndKeepTheBestLikeOneProcess() throws {
        try expectTwoRanksMatchOneProcess(["--eval-fraction", "0.25", "--eval-every", "2", "--keep-best"])
    }

    /// The evaluations (step and nDCG@10) and the kept step of a run's metrics.jsonl.
    static func evaluations(_ output: String) throws -> [String] {
        let text = try String(contentsOfFile: output + "/metrics.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let record = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            switch record?["type"] as? String {
            case "eval": return String(format: "eval %d %.6f", record?["step"] as? Int ?? -1, record?["ndcg@10"] as? Double ?? .nan)
            case "selected": return "selected \(record?["step"] as? Int ?? -1)"
            default: return nil
            }
        }
    }

    @Test func aBatchThatDoesNotSplitOverTheRanksIsAClearError() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try Self.pairs(in: dir)
        let arguments = Self.train(data: data, output: dir.path("out"), batch: 33, [])
        let job = try MPIJob(ranks: 2, arguments: arguments, scratch: dir)
        try #require(job.wait(seconds: 60), "mpirun did not end: \(job.stderr)")
        #expect(job.status != 0)
        #expect(job.stderr.contains("--batch-size 33 is not a multiple of the 2 ranks"), "\(job.stderr)")
    }

    @Test func aLaunchedRankWithoutLibmpiSaysHowToInstallIt() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try Self.pairs(in: dir)
        let result = try runEmbedTune(
            Self.train(data: data, output: dir.path("out"), []),
            environment: ["OMPI_COMM_WORLD_SIZE": "2", "EMBEDTUNE_MPI_LIBRARY": dir.path("no-libmpi.so.40")])
        #expect(result.status != 0)
        #expect(result.stderr.contains("OMPI_COMM_WORLD_SIZE is set"), "\(result.stderr)")
        #expect(result.stderr.contains("scripts/setup.sh"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("out")))
    }

    @Test func srunWithoutAnMPIPluginIsRefusedRatherThanTrainingFourTimesIntoOneOutput() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let result = try runEmbedTune(
            Self.train(data: try Self.pairs(in: dir), output: dir.path("out"), []),
            environment: ["SLURM_STEP_NUM_TASKS": "4", "SLURM_PROCID": "0"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("srun --mpi=pmix"), "\(result.stderr)")
    }

    /// Rank 0 reads `data`, rank 1 `otherData` (an MPMD launch: two application contexts of one rank each).
    func runWithRank1Reading(_ otherData: String, in dir: Scratch) throws -> MPIJob {
        let data = try Self.pairs(in: dir)
        let rank0 = Self.train(data: data, output: dir.path("out"), [])
        let rank1 = Self.train(data: otherData, output: dir.path("out"), [])
        let job = try MPIJob(ranks: 1, arguments: rank0 + [":", "-np", "1", try Repository.binary().path] + rank1, scratch: dir)
        try #require(job.wait(seconds: 60), "the job still runs after 60 s: \(job.stderr)")
        return job
    }

    @Test func anErrorOnOneRankEndsEveryRankWithItsMessage() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let job = try runWithRank1Reading(dir.path("missing.jsonl"), in: dir)
        #expect(job.status != 0)
        #expect(job.stderr.contains("embedtune train (rank 1 of 2): "), "\(job.stderr)")
        #expect(job.stderr.contains("missing.jsonl"), "\(job.stderr)")
    }

    @Test func aRankThatReadsOtherPairsStopsTheJob() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let other = try Self.pairs(in: dir, negatives: true)
        let job = try runWithRank1Reading(other, in: dir)
        #expect(job.status != 0)
        #expect(job.stderr.contains("rank 1 of 2 read other training pairs"), "\(job.stderr)")
    }

    /// Starts a long two-rank run and waits until rank 0 has logged a step and rank 1 is known.
    func startLongRun(in dir: Scratch, steps: Int = 1_000_000, _ extra: [String] = []) throws -> (job: MPIJob, rank1: pid_t) {
        let data = try Self.pairs(in: dir)
        let arguments = Self.train(data: data, output: dir.path("out"), steps: steps, extra)
        let job = try MPIJob(ranks: 2, arguments: arguments, scratch: dir)
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let metrics = (try? String(contentsOfFile: dir.path("out/metrics.jsonl"), encoding: .utf8)) ?? ""
            if metrics.contains("\"step\""), let pid = job.pid(ofRank: 1) { return (job, pid) }
            try #require(job.process.isRunning, "the job ended before its first step: \(job.stderr)")
            usleep(100_000)
        }
        throw CLITestError("no step logged within 120 s: \(job.stderr)")
    }

    @Test func aKilledRankEndsTheJobWithinAMinuteWithAMessage() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (job, rank1) = try startLongRun(in: dir)
        let killed = Date()
        kill(rank1, SIGKILL)
        try #require(job.wait(seconds: 60), "the job still runs 60 s after rank 1 was killed")
        #expect(Date().timeIntervalSince(killed) < 60)
        #expect(job.status != 0)
        #expect(job.stderr.contains("embedtune train (rank 0 of 2)"), "\(job.stderr)")
    }

    @Test func aTwoRankRunKilledAndResumedReachesTheWeightsOfAnUninterruptedOne() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let steps = 300
        let (job, rank1) = try startLongRun(in: dir, steps: steps)
        // a checkpoint is saved at every epoch's end (3 steps of 32 of the 96 pairs)
        while job.process.isRunning && !FileManager.default.fileExists(atPath: dir.path("out/checkpoint/state.json")) {
            usleep(20_000)
        }
        kill(rank1, SIGKILL)
        try #require(job.wait(seconds: 60), "the job still runs 60 s after rank 1 was killed")
        let metrics = try String(contentsOfFile: dir.path("out/metrics.jsonl"), encoding: .utf8)
        try #require(!metrics.contains("\"step\":\(steps),"), "the run ended before it was killed; give it more steps")
        let data = dir.path("pairs.jsonl")
        let resumed = try MPIJob(ranks: 2, arguments: Self.train(data: data, output: dir.path("out"), steps: steps, ["--resume"]), scratch: dir)
        let whole = try MPIJob(ranks: 2, arguments: Self.train(data: data, output: dir.path("whole"), steps: steps, []), scratch: dir)
        try #require(resumed.wait(seconds: 300) && whole.wait(seconds: 300), "\(resumed.stderr) \(whole.stderr)")
        try #require(resumed.status == 0 && whole.status == 0, "\(resumed.stderr) \(whole.stderr)")
        let a = try Data(contentsOf: URL(fileURLWithPath: dir.path("out/adapter_model.safetensors")))
        let b = try Data(contentsOf: URL(fileURLWithPath: dir.path("whole/adapter_model.safetensors")))
        #expect(a == b, "the resumed run's adapter differs from the uninterrupted run's")
    }

    @Test func aRankThatHangsEndsTheJobAtTheCollectiveTimeout() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (job, rank1) = try startLongRun(in: dir, ["--collective-timeout", "3"])
        kill(rank1, SIGSTOP)
        defer { kill(rank1, SIGKILL) }
        try #require(job.wait(seconds: 60), "the job still runs 60 s after rank 1 stopped")
        #expect(job.status != 0)
        #expect(job.stderr.contains("did not complete within 3 s"), "\(job.stderr)")
    }
}
