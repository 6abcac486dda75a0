import Foundation
import Testing

/// Outputs that would land on the command's own inputs, sizes given as options far beyond the input,
/// and weights that make non-finite embeddings: each is refused naming the option, file or input, or
/// runs within the input's size — never a trap, and never a replaced input or a NaN printed or stored.
/// Run on the tiny model (fast).
@Suite struct OutputAndLimitTests {
    static let pairs = HostileInputTests.pairs

    // MARK: an output onto an input

    @Test func embedOutputInsideTheModelDirectoryIsRefusedAndTheModelKept() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = try HostileInput.tinyModel(in: dir)
        let before = try HostileInput.snapshot(model)
        let result = try runEmbedTune(
            ["embed", "--model", model, "--threads", "1", "--output", model + "/model.safetensors"], lines: "a river\n")
        result.expectRefusal(naming: "--model")
        #expect(try HostileInput.snapshot(model) == before)
    }

    @Test(arguments: ["--corpus", "--data"])
    func mineOutputOntoAnInputIsRefusedAndTheInputKept(_ option: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try dir.write("pairs.jsonl", Self.pairs)
        let corpus = try dir.write("corpus.txt", generatedLines(8))
        let target = option == "--corpus" ? corpus : data
        let before = try Data(contentsOf: URL(fileURLWithPath: target))
        let result = try runEmbedTune(["mine", "--model", Repository.tinyModel.path, "--threads", "1", "--data", data,
                                       "--corpus", corpus, "--output", target])
        result.expectRefusal(naming: option)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == before)
    }

    @Test func mineOutputInAMissingDirectoryIsNamedBeforeMining() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try dir.write("pairs.jsonl", Self.pairs)
        let result = try runEmbedTune(["mine", "--model", Repository.tinyModel.path, "--threads", "1", "--data", data,
                                       "--output", dir.path("missing/mined.jsonl")])
        result.expectRefusal(naming: "--output \(dir.path("missing/mined.jsonl")): no such directory")
        #expect(!result.stderr.contains(".tmp"), "\(result.stderr)")
    }

    @Test func plotWritesOnlyAnSVG() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let result = try runEmbedTune(["plot", dir.path("run"), "--output", dir.path("run/metrics.jsonl")])
        result.expectRefusal(naming: ".svg")
        #expect(result.status == 64)
    }

    // MARK: sizes beyond the input

    @Test(arguments: ["embed", "encode"])
    func aHugeBatchSizeEncodesTheInputGiven(_ command: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let base = ["--model", Repository.tinyModel.path, "--threads", "1", "--batch-size", "\(Int.max)"]
        let result = command == "embed"
            ? try runEmbedTune(["embed"] + base, lines: "a river\nthe sea\n")
            : try runEmbedTune(["encode"] + base + ["--db", dir.path("s.db"), "--input", try dir.write("d.txt", generatedLines(3))])
        #expect(!result.signalled && result.status == 0, "\(result.stderr)")
        if command == "embed" { #expect(result.outputLines.count == 2) }
    }

    @Test func quantizedSearchWithTheLargestKAnswersEveryDocument() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("d.txt", generatedLines(6))
        let encoded = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--threads", "1",
                                        "--db", dir.path("s.db"), "--input", input])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let result = try runEmbedTune(["search", "--db", dir.path("s.db"), "--threads", "1", "--quantized",
                                       "-k", "\(Int.max)", "river"])
        #expect(!result.signalled && result.status == 0, "\(result.stderr)")
        #expect(result.outputLines.count == 6)
    }

    @Test func evalRefusesBatchSizeZeroAsAUsageError() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let beir = try HostileInput.beir(in: dir)
        let result = try runEmbedTune(["eval", "--model", Repository.tinyModel.path, "--data", beir, "--threads", "1",
                                       "--batch-size", "0"])
        result.expectRefusal(naming: "--batch-size")
        #expect(result.status == 64)
    }

    @Test func evalRefusesAnEmptyCorpus() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let beir = try HostileInput.beir(in: dir)
        try Data().write(to: URL(fileURLWithPath: beir + "/corpus.jsonl"))
        let result = try runEmbedTune(["eval", "--model", Repository.tinyModel.path, "--data", beir, "--threads", "1"])
        result.expectRefusal(naming: "corpus.jsonl")
    }

    @Test(arguments: [
        (["--num-negatives", "10000000000"], "--num-negatives"),
        (["--num-negatives", "\(Int.max)"], "--num-negatives"),
        (["--range-min", "\(Int.max)"], "--range-min"),
        (["--min-score", "0.9", "--max-score", "0.1"], "--min-score"),
    ])
    func mineRefusesSizesBeyondTheCorpusAndFiltersThatKeepNothing(_ options: [String], _ named: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try dir.write("pairs.jsonl", Self.pairs)
        let result = try runEmbedTune(["mine", "--model", Repository.tinyModel.path, "--threads", "1", "--data", data,
                                       "--output", dir.path("mined.jsonl")] + options)
        result.expectRefusal(naming: named)
        #expect(!FileManager.default.fileExists(atPath: dir.path("mined.jsonl")))
    }

    /// train's option checks are usage errors (exit 64) like every other command's.
    @Test(arguments: [["--lr", "0"], ["--batch-size", "0"], ["--epochs", "0"]])
    func trainRefusesABadOptionAsAUsageError(_ options: [String]) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try dir.write("pairs.jsonl", Self.pairs)
        let result = try runEmbedTune(["train", "--model", Repository.tinyModel.path, "--data", data, "--output",
                                       dir.path("run"), "--threads", "1"] + options)
        result.expectRefusal(naming: options[0])
        #expect(result.status == 64)
    }

    /// A --db that does not exist or is a directory is named with the reason, not SQLite's "unable to open".
    @Test func aMissingOrDirectoryDatabaseIsNamedPlainly() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let missing = try runEmbedTune(["search", "--db", dir.path("none.db"), "--threads", "1", "river"])
        missing.expectRefusal(naming: dir.path("none.db") + ": cannot open vector store: no such file")
        let directory = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--threads", "1",
                                          "--db", dir.url.path, "--input", try dir.write("d.txt", generatedLines(2))])
        directory.expectRefusal(naming: "a directory, not a vector store file")
        #expect(!missing.stderr.contains("SQLite") && !directory.stderr.contains("SQLite"))
    }

    @Test(arguments: [("none", "no such model directory"), ("model/config.json", "is a file")])
    func tokenizeNamesAModelPathThatIsNoDirectory(_ name: String, _ reason: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        _ = try HostileInput.tinyModel(in: dir)
        let result = try runEmbedTune(["tokenize", "--model", dir.path(name)], lines: "a river\n")
        result.expectRefusal(naming: reason)
    }

    /// A negative number after a numeric option is its value, so the range check names it (ArgumentParser
    /// otherwise reads "-1" as an unknown flag and reports a missing value).
    @Test(arguments: [
        (["train", "--lr", "-1"], "--lr must be a positive finite number"),
        (["embed", "--batch-size", "-5"], "--batch-size must be positive"),
        (["mine", "--num-negatives", "-2"], "--num-negatives"),
    ])
    func aNegativeNumberReachesTheRangeCheck(_ arguments: [String], _ message: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let data = try dir.write("pairs.jsonl", Self.pairs)
        let common = ["--model", Repository.tinyModel.path, "--threads", "1"]
        let extra = arguments[0] == "embed" ? [] : ["--data", data, "--output", dir.path("out")]
        let result = try runEmbedTune(arguments + common + extra, lines: "a river\n")
        result.expectRefusal(naming: message)
        #expect(result.status == 64 && !result.stderr.contains("Missing value"), "\(result.stderr)")
    }

    // MARK: weights whose embeddings overflow

    /// A finite but enormous weight passes the load's checks; its embeddings are not finite, so embed
    /// prints none and encode stores none (the store keeps what it held).
    @Test func embeddingsThatAreNotFiniteAreNeitherPrintedNorStored() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = try HostileInput.tinyModel(in: dir)
        try HostileInput.poison(safetensors: model + "/model.safetensors", tensor: "encoder.layer.1.output.LayerNorm.bias",
                                with: .greatestFiniteMagnitude)
        let embedded = try runEmbedTune(["embed", "--model", model, "--threads", "1"], lines: "a river\nthe sea\n")
        embedded.expectRefusal(naming: "line 1 of standard input")
        #expect(embedded.stdout.isEmpty)

        let input = try dir.write("d.jsonl", "{\"_id\": \"first\", \"text\": \"a river\"}\n")
        let encoded = try runEmbedTune(["encode", "--model", model, "--threads", "1", "--db", dir.path("s.db"), "--input", input])
        encoded.expectRefusal(naming: "document \"first\"")
        if FileManager.default.fileExists(atPath: dir.path("s.db")) {
            let count = try runEmbedTune(["search", "--db", dir.path("s.db"), "--threads", "1", "river"])
            #expect(count.outputLines.isEmpty)
        }
    }
}
