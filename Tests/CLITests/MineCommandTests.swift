import Foundation
import Testing

/// `embedtune mine` on the tiny fixture model (meaningless vectors, fast): the output format, the
/// reuse of a store's vectors, and the errors for bad input.
@Suite struct MineCommandTests {
    static let pairs = """
        {"anchor": "river water north", "positive": "the river runs north to the sea"}
        {"anchor": "school history book", "positive": "a book of school history"}

        {"anchor": "river water north", "positive": "water of the north river"}
        {"anchor": "film music", "positive": "music for a film"}
        """
    static let corpus = (0..<60).map { i in
        "{\"id\": \"d\(i)\", \"title\": \"t\(i % 7)\", \"text\": \"\(generatedLines(1, seed: UInt64(i) + 3).trimmingCharacters(in: .newlines))\"}"
    }.joined(separator: "\n") + "\n"

    func mine(_ dir: Scratch, _ extra: [String], pairs: String = Self.pairs) throws -> ProcessResult {
        let data = try dir.write("pairs.jsonl", pairs)
        return try runEmbedTune(["mine", "--model", Repository.tinyModel.path, "--data", data, "--threads", "1",
                                 "--output", dir.path("mined.jsonl")] + extra)
    }

    @Test func writesOneNTupleRowPerPairInInputOrder() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let corpus = try dir.write("corpus.jsonl", Self.corpus)
        // The tiny model's vectors are all alike: without a margin every anchor finds its negatives.
        let result = try mine(dir, ["--corpus", corpus, "--num-negatives", "2", "--output-scores", "--relative-margin", "off"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try String(contentsOfFile: dir.path("mined.jsonl"), encoding: .utf8).split(separator: "\n")
        let rows = try lines.map { try jsonObject(String($0)) }
        #expect(rows.map { $0["positive"] as? String } == [
            "the river runs north to the sea", "a book of school history", "water of the north river", "music for a film",
        ])
        for row in rows {
            #expect(Set(row.keys) == ["anchor", "positive", "negative_1", "negative_2", "scores"])
            #expect((row["scores"] as? [Double])?.count == 3)
            #expect(row["negative_1"] as? String != row["positive"] as? String)
        }
        // The anchor with two positives never gets either as a negative.
        let riverNegatives = rows.filter { $0["anchor"] as? String == "river water north" }
            .flatMap { [$0["negative_1"], $0["negative_2"]].compactMap { $0 as? String } }
        #expect(!riverNegatives.contains("the river runs north to the sea") && !riverNegatives.contains("water of the north river"))
        #expect(result.stderr.contains("4 rows written") && result.stderr.contains("positive           4"), "\(result.stderr)")
    }

    @Test func aStoreOfTheSameModelGivesTheSameNegativesAsItsCorpusFile() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let corpus = try dir.write("corpus.jsonl", Self.corpus)
        let encoded = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", dir.path("store.db"),
                                        "--input", corpus, "--threads", "1"])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let fromFile = try mine(dir, ["--corpus", corpus, "--num-negatives", "3"])
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        let expected = try String(contentsOfFile: dir.path("mined.jsonl"), encoding: .utf8)
        let fromStore = try mine(dir, ["--db", dir.path("store.db"), "--num-negatives", "3"])
        #expect(fromStore.status == 0, "\(fromStore.stderr)")
        #expect(try String(contentsOfFile: dir.path("mined.jsonl"), encoding: .utf8) == expected)
    }

    @Test func aStoreOfAnotherModelIsRefusedNamingBothFingerprints() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let corpus = try dir.write("corpus.jsonl", Self.corpus)
        let adapter = Repository.root.appendingPathComponent("Tests/TrainingTests/Fixtures/tiny_adapter").path
        let encoded = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--adapter", adapter,
                                        "--db", dir.path("store.db"), "--input", corpus, "--threads", "1"])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let result = try mine(dir, ["--db", dir.path("store.db")])
        #expect(result.status != 0)
        #expect(result.stderr.contains(dir.path("store.db")), "\(result.stderr)")
        #expect(result.stderr.components(separatedBy: "fingerprint").count >= 3, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.path("mined.jsonl")))
    }

    @Test(arguments: [
        (["--num-negatives", "0"], "--num-negatives"),
        (["--range-min", "5", "--range-max", "3"], "--range-min"),
        (["--range-min", "2", "--range-max", "3", "--num-negatives", "2"], "--range-max"),
        (["--relative-margin=-0.1"], "--relative-margin"),
        (["--absolute-margin=-1"], "--absolute-margin"),
        (["--max-score", "nan"], "--max-score"),
        (["--min-score", "inf"], "--min-score"),
        (["--absolute-margin", "inf"], "--absolute-margin"),
        (["--sampling", "best"], "--sampling"),
    ])
    func aBadOptionIsRefusedNamingIt(_ options: [String], _ named: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let result = try mine(dir, options)
        #expect(result.status != 0)
        #expect(result.stderr.contains(named), "\(result.stderr)")
    }

    @Test(arguments: [
        ("{\"anchor\": \"a\", \"positive\": \"b\"}\n{\"anchor\": \"  \", \"positive\": \"c\"}\n", ":2", "anchor"),
        ("{\"anchor\": \"a\", \"positive\": \"b\"}\n\n{\"anchor\": \"c\"}\n", ":3", "positive"),
        ("{\"anchor\": \"a\", \"positive\": \"\"}\n", ":1", "positive"),
        ("{\"anchor\": \"a\", \"positive\": 3}\n", ":1", "positive"),
        ("\n", "pairs.jsonl", "pairs"),
    ])
    func badPairsAreRefusedNamingFileLineAndField(_ pairs: String, _ location: String, _ field: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let result = try mine(dir, [], pairs: pairs)
        #expect(result.status != 0)
        #expect(result.stderr.contains("pairs.jsonl" + (location.hasPrefix(":") ? location : "")), "\(result.stderr)")
        #expect(result.stderr.contains(field), "\(result.stderr)")
    }

    @Test func anEmptyCorpusIsRefusedNamingIt() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let corpus = try dir.write("empty.jsonl", "\n")
        let result = try mine(dir, ["--corpus", corpus])
        #expect(result.status != 0)
        #expect(result.stderr.contains(corpus) && result.stderr.contains("no corpus documents"), "\(result.stderr)")
    }

    @Test func helpExplainsTheDefaultRecipe() throws {
        let result = try runEmbedTune(["mine", "--help"])
        #expect(result.status == 0, "\(result.stderr)")
        for option in ["--model", "--adapter", "--data", "--split", "--corpus", "--db", "--output", "--num-negatives",
                       "--range-min", "--range-max", "--max-score", "--min-score", "--absolute-margin",
                       "--relative-margin", "--sampling", "--seed", "--batch-size", "--threads", "NV-Retriever", "2407.15831"] {
            #expect(result.stdoutText.contains(option), "mine --help lacks \(option)")
        }
    }
}
