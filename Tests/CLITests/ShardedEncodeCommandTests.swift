import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `encode --shard i/3` and `--shard auto` (Slurm array, Kubernetes Indexed Job), `merge-stores`, and
/// `search` over several `--db` against the merged store.
@Suite struct ShardedEncodeCommandTests {
    /// Common words, and rare ones (kxN) whose BM25 IDF differs between a shard and the merged store.
    static let queries = ["river music island", "school game north film water", "church", "history of the city", "kx3 river",
                          "kx17 kx42 kx5"]

    /// A BEIR corpus of `count` documents (ids doc-0 ...), every third without a title.
    static func corpus(_ count: Int = 150, seed: UInt64 = 5) throws -> String {
        let texts = generatedLines(count, seed: seed).split(separator: "\n").map(String.init)
        return try texts.enumerated().map { i, text in
            var object: [String: Any] = ["_id": "doc-\(i)", "text": text + " kx\(i * 7 % 60) kx\(i * i % 59)"]
            if i % 3 != 0 { object["title"] = String(text.split(separator: " ").first ?? "") }
            return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
        }.joined(separator: "\n") + "\n"
    }

    /// `encode` with the tiny model, by default one document per forward pass. A vector depends on its
    /// document alone at any batch size (`encode` runs every product through the packed kernel, whose rows
    /// are computed alike whichever tile they fall in), so a shard's vectors are the same bits as one
    /// encode's — see `shardedVectorsEqualOneEncodeBitForBitInBatches`.
    static func encode(
        _ input: String, _ db: String, _ extra: [String] = [], batchSize: Int = 1, environment: [String: String] = [:]
    ) throws -> ProcessResult {
        try runEmbedTune(
            ["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db, "--threads", "1", "--chunk-size", "16",
             "--batch-size", "\(batchSize)"] + extra,
            environment: environment)
    }

    /// The float32 values of a vector blob (little-endian).
    static func floats(_ blob: Data) -> [Float] {
        stride(from: 0, to: blob.count - 3, by: 4).map { i in
            Float(bitPattern: (0..<4).reduce(UInt32(0)) { $0 | UInt32(blob[blob.startIndex + i + $1]) << UInt32(8 * $1) })
        }
    }

    /// Rows sorted by id: id, title, text, content hash, vector bytes.
    static func rowsByID(_ db: String) throws -> [[Data?]] {
        try documentRows(db).sorted { String(decoding: $0[0] ?? Data(), as: UTF8.self) < String(decoding: $1[0] ?? Data(), as: UTF8.self) }
    }

    /// Three shards of the corpus written by `--shard i/3`, and the whole corpus in one store.
    static func shardsAndWhole(_ dir: Scratch) throws -> (input: String, shards: [String], whole: String) {
        let input = try dir.write("corpus.jsonl", try corpus())
        let whole = dir.path("whole.db")
        try #require(try encode(input, whole).status == 0)
        let shards = try (0..<3).map { i -> String in
            let db = dir.path("shard\(i).db")
            let result = try encode(input, db, ["--shard", "\(i)/3"])
            try #require(result.status == 0, "\(result.stderr)")
            return db
        }
        return (input, shards, whole)
    }

    @Test func shardsFromEveryShardOptionMergeToTheDocumentsAndVectorsOfOneEncode() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (input, shards, whole) = try Self.shardsAndWhole(dir)
        for i in 0..<3 {
            // A Slurm array --array=7-9 and a Kubernetes Indexed Job of 3 completions give the same shards.
            let slurm = ["SLURM_ARRAY_TASK_ID": "\(7 + i)", "SLURM_ARRAY_TASK_MIN": "7", "SLURM_ARRAY_TASK_MAX": "9",
                         "SLURM_ARRAY_TASK_COUNT": "3"]
            let bySlurm = try Self.encode(input, dir.path("slurm\(i).db"), ["--shard", "auto"], environment: slurm)
            #expect(bySlurm.status == 0 && bySlurm.stderr.contains("shard \(i)/3"), "\(bySlurm.stderr)")
            let byIndex = try Self.encode(
                input, dir.path("k8s\(i).db"), ["--shard", "auto", "--shard-count", "3"], environment: ["JOB_COMPLETION_INDEX": "\(i)"])
            #expect(byIndex.status == 0, "\(byIndex.stderr)")
            #expect(try documentRows(dir.path("slurm\(i).db")) == documentRows(shards[i]))
            #expect(try documentRows(dir.path("k8s\(i).db")) == documentRows(shards[i]))
        }
        let merged = dir.path("merged.db")
        let merge = try runEmbedTune(["merge-stores", "--db", merged, "--json"] + shards)
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdoutText.contains("\"copied\":150") && merge.stdoutText.contains("\"stored\":150"), "\(merge.stdoutText)")
        #expect(try Self.rowsByID(merged) == Self.rowsByID(whole))
        #expect(FileManager.default.fileExists(atPath: merged + ".vectors"))

        let before = try documentRows(merged)
        let again = try runEmbedTune(["merge-stores", "--db", merged, "--json"] + shards)
        #expect(again.status == 0 && again.stdoutText.contains("\"copied\":0"), "\(again.stdoutText)")
        #expect(again.stdoutText.contains("\"index_written\":false"))
        #expect(try documentRows(merged) == before)
    }

    @Test(arguments: [32, 5]) func shardedVectorsEqualOneEncodeBitForBitInBatches(batchSize: Int) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("corpus.jsonl", try Self.corpus())
        try #require(try Self.encode(input, dir.path("whole.db"), batchSize: batchSize).status == 0)
        let shards = try (0..<3).map { i -> String in
            try #require(try Self.encode(input, dir.path("s\(i).db"), ["--shard", "\(i)/3"], batchSize: batchSize).status == 0)
            return dir.path("s\(i).db")
        }
        try #require(try runEmbedTune(["merge-stores", "--db", dir.path("merged.db")] + shards).status == 0)
        let merged = try Self.rowsByID(dir.path("merged.db")), whole = try Self.rowsByID(dir.path("whole.db"))
        #expect(merged.count == whole.count && !merged.isEmpty)
        #expect(merged == whole)  // ids, titles, texts, hashes and vector bytes
    }

    @Test func searchOverThreeShardsPrintsWhatTheMergedStorePrints() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (_, shards, _) = try Self.shardsAndWhole(dir)
        let merged = dir.path("merged.db")
        try #require(try runEmbedTune(["merge-stores", "--db", merged] + shards).status == 0)
        let lines = Self.queries.joined(separator: "\n") + "\n"
        for options in [["--mode", "vector"], ["--quantized"], ["--mode", "lexical"], ["--mode", "hybrid"],
                        ["--mode", "hybrid", "--rrf-k", "5", "-k", "3"]] {
            let common = ["search", "-k", "7", "--threads", "1"] + options
            let sharded = try runEmbedTune(common + shards.flatMap { ["--db", $0] }, lines: lines)
            let one = try runEmbedTune(common + ["--db", merged], lines: lines)
            #expect(sharded.status == 0 && one.status == 0, "\(sharded.stderr) \(one.stderr)")
            #expect(sharded.stdout == one.stdout, "\(options)")
            #expect(sharded.outputLines.count == Self.queries.count)
        }
    }

    @Test func aMergeKilledAtRandomMomentsEndsAsAnUninterruptedOne() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        // 1,500 documents merged 2 rows per transaction: several hundred commits to be killed between.
        let input = try dir.write("corpus.jsonl", try Self.corpus(1500, seed: 8))
        let shards = try (0..<3).map { i -> String in
            try #require(try Self.encode(input, dir.path("s\(i).db"), ["--shard", "\(i)/3", "--chunk-size", "256"]).status == 0)
            return dir.path("s\(i).db")
        }
        let merge = ["merge-stores", "--batch-size", "2"]
        let reference = dir.path("reference.db")
        try #require(try runEmbedTune(merge + ["--db", reference] + shards).status == 0)
        let killed = dir.path("killed.db")
        var delays = KilledEncodeSearchTests.Delays(state: 17)
        var partial = 0  // kills that left some rows but not all
        for _ in 0..<5 {
            let process = Process()
            process.executableURL = try Repository.binary()
            process.arguments = merge + ["--db", killed] + shards
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(useconds_t(20_000 + delays.next() * 400_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            if FileManager.default.fileExists(atPath: killed) {
                let rows = try SQLiteFile(path: killed).integer("SELECT count(*) FROM documents")
                if rows > 0 && rows < 1500 { partial += 1 }
            }
        }
        #expect(partial > 0, "no kill landed while rows were being copied")
        let finish = try runEmbedTune(merge + ["--db", killed] + shards)
        #expect(finish.status == 0, "\(finish.stderr)")
        #expect(try documentRows(killed) == documentRows(reference))
        let lines = Self.queries.joined(separator: "\n") + "\n"
        for mode in ["vector", "lexical", "hybrid"] {
            let a = try runEmbedTune(["search", "--db", killed, "--mode", mode, "--threads", "1"], lines: lines)
            let b = try runEmbedTune(["search", "--db", reference, "--mode", mode, "--threads", "1"], lines: lines)
            #expect(a.status == 0 && a.stdout == b.stdout, "\(mode): \(a.stderr)")
        }
    }

    @Test func mergeAndSearchRefuseAnotherModelAndAConflictingDocument() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let (_, shards, _) = try Self.shardsAndWhole(dir)
        let adapter = Repository.root.appendingPathComponent("Tests/TrainingTests/Fixtures/tiny_adapter").path
        let other = dir.path("other.db")
        let otherInput = try dir.write("other.jsonl", try Self.corpus(20, seed: 9))
        try #require(try Self.encode(otherInput, other, ["--adapter", adapter]).status == 0)
        let merge = try runEmbedTune(["merge-stores", "--db", dir.path("out.db"), shards[0], other])
        #expect(merge.status != 0)
        #expect(merge.stderr.contains(other) && merge.stderr.contains(shards[0]) && merge.stderr.contains("fingerprint"), "\(merge.stderr)")
        let search = try runEmbedTune(["search", "--db", shards[0], "--db", other, "river"])
        #expect(search.status != 0 && search.stderr.contains(other), "\(search.stderr)")

        // doc-0 of another corpus, under the same id with another text.
        let conflicting = dir.path("conflict.db")
        try #require(try Self.encode(otherInput, conflicting).status == 0)
        let refused = try runEmbedTune(["merge-stores", "--db", dir.path("out2.db"), shards[0], conflicting])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("\"doc-0\"") && refused.stderr.contains(conflicting) && refused.stderr.contains(shards[0]),
                "\(refused.stderr)")
    }

    @Test func shardAutoNamesWhatIsMissing() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("corpus.jsonl", try Self.corpus(10))
        let none = try Self.encode(input, dir.path("a.db"), ["--shard", "auto"])
        if ProcessInfo.processInfo.environment["SLURM_ARRAY_TASK_ID"] == nil
            && ProcessInfo.processInfo.environment["JOB_COMPLETION_INDEX"] == nil
        {
            #expect(none.status != 0 && none.stderr.contains("SLURM_ARRAY_TASK_ID") && none.stderr.contains("JOB_COMPLETION_INDEX"))
        }
        let noCount = try Self.encode(input, dir.path("b.db"), ["--shard", "auto"], environment: ["JOB_COMPLETION_INDEX": "1"])
        #expect(noCount.status != 0 && noCount.stderr.contains("--shard-count"), "\(noCount.stderr)")
        let noMin = try Self.encode(
            input, dir.path("c.db"), ["--shard", "auto"], environment: ["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"])
        #expect(noMin.status != 0 && noMin.stderr.contains("SLURM_ARRAY_TASK_MIN"), "\(noMin.stderr)")
        let countAlone = try Self.encode(input, dir.path("d.db"), ["--shard-count", "3"])
        #expect(countAlone.status != 0 && countAlone.stderr.contains("--shard auto"))
        #expect(!FileManager.default.fileExists(atPath: dir.path("b.db")))
    }
}
