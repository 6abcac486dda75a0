import Foundation
import Testing

/// The hostile-input suite at the binary's level: values that pass a first check and used to trap, sizes
/// that exhausted memory, files where directories belong (and the reverse), NaN weights and options, and
/// broken adapters. Every case must end in a clear error naming the option, file or field — never a
/// signal and never exit 0 with a wrong answer. Run on the tiny model (fast).
@Suite struct HostileInputTests {
    static let pairs = """
        {"anchor": "river water north", "positive": "the river runs north to the sea"}
        {"anchor": "school history book", "positive": "a book of school history"}
        {"anchor": "film music", "positive": "music for a film"}
        {"anchor": "island people", "positive": "people of the island"}
        """

    func train(_ dir: Scratch, _ extra: [String], model: String = Repository.tinyModel.path) throws -> ProcessResult {
        let data = try dir.write("pairs.jsonl", Self.pairs)
        return try runEmbedTune(["train", "--model", model, "--data", data, "--output", dir.path("run"),
                                 "--threads", "1", "--batch-size", "2", "--max-steps", "1"] + extra)
    }

    // MARK: numeric options: non-finite, out of range, or past what the model has

    @Test(arguments: [
        (["--weight-decay", "nan"], "--weight-decay"),
        (["--weight-decay", "inf"], "--weight-decay"),
        (["--optimizer", "sgd", "--momentum", "nan"], "--momentum"),
        (["--lr", "inf"], "--lr"),
        (["--lr", "nan"], "--lr"),
        (["--lora-alpha", "nan"], "--lora-alpha"),
        (["--lora-alpha", "inf"], "--lora-alpha"),
        (["--lora-dropout", "nan"], "--lora-dropout"),
        (["--max-grad-norm", "inf"], "--max-grad-norm"),
        (["--warmup-ratio", "nan"], "--warmup-ratio"),
        (["--scale", "inf"], "--scale"),
        (["--dropout", "nan"], "--dropout"),
        (["--guide", "base", "--guide-margin", "nan"], "--guide-margin"),
        (["--lora-rank", "0"], "--lora-rank"),
        (["--lora-rank", "100000"], "--lora-rank"),
        (["--lora-targets", "bogus"], "bogus"),
        (["--lora-targets", "query,quer"], "quer"),
        (["--matryoshka-dims", "32,x"], "--matryoshka-dims"),
        (["--matryoshka-dims", "64,16"], "--matryoshka-dims"),
        (["--guide-margin-strategy", "sideways", "--guide", "base"], "--guide-margin-strategy"),
        (["--eval-fraction", "1.5"], "--eval-fraction"),
        (["--eval-fraction", "nan"], "--eval-fraction"),
        (["--keep-best"], "--keep-best"),
        (["--max-length", "1"], "--max-length"),
    ])
    func trainRefusesABadNumberNamingTheOption(_ options: [String], _ named: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let result = try train(dir, options)
        result.expectRefusal(naming: named)
        #expect(!FileManager.default.fileExists(atPath: dir.path("run/adapter_model.safetensors")))
    }

    @Test func trainAtTheShortestMaxLengthRuns() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let result = try train(dir, ["--max-length", "2"])
        #expect(!result.signalled && result.status == 0, "\(result.stderr)")
    }

    @Test(arguments: [
        (["--lora-rank", "0"], "--lora-rank"),
        (["--scale", "nan"], "--scale"),
        (["--scale", "inf"], "--scale"),
        (["--threshold", "nan"], "--threshold"),
        (["--floor", "nan"], "--floor"),
        (["--max-step", "inf"], "--max-step"),
    ])
    func gradcheckRefusesABadNumberNamingTheOption(_ options: [String], _ named: String) throws {
        let result = try runEmbedTune(["gradcheck", "--model", Repository.tinyModel.path] + options)
        result.expectRefusal(naming: named)
        #expect(!result.stdoutText.contains("passed"))
    }

    @Test(arguments: ["embed", "encode", "search"])
    func theShortestMaxLengthEmbedsWithoutATrap(_ command: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let embedded = try runEmbedTune(["embed", "--model", Repository.tinyModel.path, "--max-length", "2", "--threads", "1"],
                                        lines: "a river\n")
        #expect(!embedded.signalled && embedded.status == 0, "\(embedded.stderr)")
        #expect(embedded.outputLines.count == 1)
        guard command != "embed" else { return }
        let input = try dir.write("docs.txt", generatedLines(5))
        let encoded = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--max-length", "2",
                                        "--db", dir.path("s.db"), "--input", input, "--threads", "1"])
        #expect(!encoded.signalled && encoded.status == 0, "\(encoded.stderr)")
        if command == "search" {
            let searched = try runEmbedTune(["search", "--db", dir.path("s.db"), "river", "-k", "2", "--threads", "1"])
            #expect(!searched.signalled && searched.status == 0, "\(searched.stderr)")
            #expect(searched.outputLines.count == 2)
        }
    }

    // MARK: model files with sizes or numbers that must be refused before they are used

    @Test(arguments: [
        ("config.json", "intermediate_size", "1000000000", "intermediate_size"),
        ("config.json", "intermediate_size", "4096", "intermediate"),
        ("config.json", "vocab_size", "4000000000", "vocab_size"),
        ("config.json", "num_hidden_layers", "100000", "num_hidden_layers"),
        ("config.json", "num_hidden_layers", "200", "encoder.layer.2"),
        ("config.json", "hidden_size", "1000000", "hidden_size"),
        ("config.json", "max_position_embeddings", "1", "max_position_embeddings"),
        ("config.json", "layer_norm_eps", "-1.0", "layer_norm_eps"),
        ("config.json", "hidden_dropout_prob", "2.0", "hidden_dropout_prob"),
        ("config.json", "pad_token_id", "5000", "pad_token_id"),
        ("sentence_bert_config.json", "max_seq_length", "1", "max_seq_length"),
    ])
    func aModelFileWithABadNumberIsRefusedNamingTheField(_ file: String, _ key: String, _ json: String, _ named: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        let model = try HostileInput.tinyModel(in: dir, edits: [file: [key: value]])
        let result = try runEmbedTune(["embed", "--model", model, "--threads", "1"], lines: "a river\n")
        result.expectRefusal(naming: named)
        #expect(result.stdout.isEmpty)
    }

    @Test func aModelWithANaNWeightIsRefusedNamingTheTensor() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = try HostileInput.tinyModel(in: dir)
        try HostileInput.poison(safetensors: model + "/model.safetensors", tensor: "encoder.layer.1.output.dense.weight", with: .nan)
        let result = try runEmbedTune(["embed", "--model", model, "--threads", "1"], lines: "a river\n")
        result.expectRefusal(naming: "encoder.layer.1.output.dense.weight")
        #expect(result.stdout.isEmpty)
    }

    @Test func aModelPathThatIsAFileSaysSo() throws {
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path + "/model.safetensors"], lines: "x\n")
        result.expectRefusal(naming: "is a file")
    }

    // MARK: adapters with options or tensors that would be ignored

    @Test(arguments: [
        ("use_dora", "true", "use_dora"),
        ("layers_to_transform", "[0]", "layers_to_transform"),
        ("rank_pattern", "{\"query\": 2}", "rank_pattern"),
        ("alpha_pattern", "{\"query\": 2.0}", "alpha_pattern"),
        ("modules_to_save", "[\"pooler\"]", "modules_to_save"),
        ("exclude_modules", "\"query\"", "exclude_modules"),
        ("lora_alpha", "\"16\"", "lora_alpha"),
        ("r", "100000", "\"r\""),
        ("target_modules", "[\"bogus\"]", "target_modules"),
    ])
    func anAdapterSettingWeDoNotImplementIsRefusedByName(_ key: String, _ json: String, _ named: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        let adapter = try HostileInput.tinyAdapter(in: dir, edits: [key: value])
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path, "--adapter", adapter, "--threads", "1"],
                                      lines: "a river\n")
        result.expectRefusal(naming: named)
    }

    @Test func theUnchangedFixtureAdapterStillLoads() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let adapter = try HostileInput.tinyAdapter(in: dir)
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path, "--adapter", adapter, "--threads", "1"],
                                      lines: "a river\n")
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func anAdapterWithANaNWeightIsRefused() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let adapter = try HostileInput.tinyAdapter(in: dir)
        try HostileInput.poison(
            safetensors: adapter + "/adapter_model.safetensors",
            tensor: "base_model.model.encoder.layer.0.attention.self.query.lora_B.weight", with: .infinity)
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path, "--adapter", adapter, "--threads", "1"],
                                      lines: "a river\n")
        result.expectRefusal(naming: "lora_B.weight")
    }

    // MARK: directories where files belong, empty judgments

    @Test func encodeFromADirectoryIsRefused() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let result = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", dir.path("s.db"),
                                       "--input", dir.url.path, "--threads", "1"])
        result.expectRefusal(naming: "directory")
    }

    @Test(arguments: ["corpus.jsonl", "queries.jsonl", "qrels/test.tsv"])
    func evalWithADirectoryForAFileIsRefused(_ file: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let beir = try HostileInput.beir(in: dir)
        try FileManager.default.removeItem(atPath: beir + "/" + file)
        try FileManager.default.createDirectory(atPath: beir + "/" + file, withIntermediateDirectories: false)
        let result = try runEmbedTune(["eval", "--model", Repository.tinyModel.path, "--data", beir, "--split", "test",
                                       "--threads", "1"])
        result.expectRefusal(naming: file)
        #expect(result.stderr.contains("directory"), "\(result.stderr)")
    }

    @Test(arguments: ["query-id\tcorpus-id\tscore\n", "", "query-id\tcorpus-id\tscore\nq0\td0\t0\n"])
    func evalWithNoRelevantDocumentIsRefused(_ qrels: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let beir = try HostileInput.beir(in: dir, qrels: qrels)
        let result = try runEmbedTune(["eval", "--model", Repository.tinyModel.path, "--data", beir, "--split", "test",
                                       "--threads", "1"])
        result.expectRefusal(naming: "test.tsv")
    }

    @Test func evalOfTheIntactDirectoryRuns() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let beir = try HostileInput.beir(in: dir)
        let result = try runEmbedTune(["eval", "--model", Repository.tinyModel.path, "--data", beir, "--split", "test",
                                       "--threads", "1", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func trainFromADirectoryOfPairsIsRefused() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        try FileManager.default.createDirectory(atPath: dir.path("pairs.jsonl"), withIntermediateDirectories: false)
        let result = try runEmbedTune(["train", "--model", Repository.tinyModel.path, "--data", dir.path("pairs.jsonl"),
                                       "--output", dir.path("run"), "--threads", "1"])
        #expect(!result.signalled && result.status != 0)
        #expect(!result.stderr.contains("error 256") && !result.stderr.contains("NSCocoaErrorDomain"), "\(result.stderr)")
    }

    // MARK: checkpoints

    @Test func aCheckpointWithANegativeStepIsRefused() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let first = try train(dir, ["--save-every", "1"])
        #expect(first.status == 0, "\(first.stderr)")
        let stateURL = URL(fileURLWithPath: dir.path("run/checkpoint/state.json"))
        var state = try JSONSerialization.jsonObject(with: Data(contentsOf: stateURL)) as? [String: Any] ?? [:]
        state["globalStep"] = -5
        try JSONSerialization.data(withJSONObject: state).write(to: stateURL)
        let resumed = try train(dir, ["--save-every", "1", "--resume"])
        resumed.expectRefusal(naming: "negative step")
    }

    // MARK: NUL characters, which SQLite's C strings would cut

    @Test(arguments: [
        ("docs.jsonl", "{\"id\": \"memcpy.3\\u0000x\", \"text\": \"copy memory\"}\n", "id"),
        ("docs.jsonl", "{\"id\": \"a\", \"text\": \"hello\\u0000world\"}\n", "text"),
        ("docs.jsonl", "{\"id\": \"a\", \"title\": \"t\\u0000\", \"text\": \"hello\"}\n", "title"),
        ("docs.txt", "hello\u{0}world\n", "text"),
    ])
    func aNULInAnIdOrTextIsRefusedNamingLineAndField(_ name: String, _ content: String, _ field: String) throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write(name, content)
        let result = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", dir.path("s.db"),
                                       "--input", input, "--threads", "1"])
        result.expectRefusal(naming: name + ":1")
        #expect(result.stderr.contains(field) && result.stderr.contains("NUL"), "\(result.stderr)")
    }

    @Test func aNULDocumentNeverOverwritesAStoredOne() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let good = try dir.write("a.jsonl", "{\"id\": \"memcpy.3\", \"text\": \"copy memory area\"}\n")
        #expect(try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", dir.path("s.db"), "--input", good,
                                  "--threads", "1"]).status == 0)
        let bad = try dir.write("b.jsonl", "{\"id\": \"memcpy.3\\u0000x\", \"text\": \"other\"}\n")
        let result = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", dir.path("s.db"),
                                       "--input", bad, "--threads", "1", "--skip-invalid"])
        #expect(!result.signalled, "\(result.stderr)")
        let search = try runEmbedTune(["search", "--db", dir.path("s.db"), "copy", "--json", "--threads", "1"])
        #expect(search.stdoutText.contains("copy memory area"), "\(search.stdoutText)")
        #expect(!search.stdoutText.contains("other"), "\(search.stdoutText)")
    }

    // MARK: terminal control characters in what search prints

    @Test func plainSearchOutputEscapesControlCharacters() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("docs.jsonl", """
            {"id": "evil\\u001b]52;c;SGVsbG8=\\u0007", "title": "\\u001b[2J", "text": "river \\u001b]0;pwned\\u0007 water\\r\\nnext \\u009b31m"}
            {"id": "plain", "text": "a calm river"}

            """)
        let encoded = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", dir.path("s.db"),
                                        "--input", input, "--threads", "1"])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let result = try runEmbedTune(["search", "--db", dir.path("s.db"), "river", "-k", "2", "--threads", "1"])
        #expect(result.status == 0, "\(result.stderr)")
        let bytes = [UInt8](result.stdout)
        #expect(!bytes.contains(0x1B) && !bytes.contains(0x07) && !bytes.contains(0x0D), "\(result.stdoutText)")
        #expect(!result.stdoutText.unicodeScalars.contains("\u{9B}"))
        #expect(result.outputLines.count == 2, "\(result.stdoutText)")
        #expect(result.stdoutText.contains("evil\\x1b]52;c;SGVsbG8=\\x07"), "\(result.stdoutText)")
        // JSON output keeps the exact text (escaped by JSON itself).
        let json = try runEmbedTune(["search", "--db", dir.path("s.db"), "river", "-k", "2", "--json", "--threads", "1"])
        let object = try jsonObject(json.outputLines[0])
        let ids = (object["results"] as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
        #expect(ids.contains("evil\u{1B}]52;c;SGVsbG8=\u{07}"), "\(ids)")
    }

    @Test func errorMessagesEscapeControlCharactersFromData() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("docs.jsonl", """
            {"id": "x\\u001b[2Jy", "text": "one"}
            {"id": "x\\u001b[2Jy", "text": "two"}

            """)
        let result = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", dir.path("s.db"),
                                       "--input", input, "--threads", "1"])
        result.expectRefusal(naming: "docs.jsonl:2")
        #expect(!result.stderr.unicodeScalars.contains("\u{1B}") && result.stderr.contains("x\\x1b[2Jy"), "\(result.stderr)")
    }
}

/// `encode` into an SQLite file of another program refuses before writing anything to it.
@Suite struct ForeignDatabaseTests {
    @Test func encodeIntoAnotherProgramsDatabaseChangesNothing() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let path = dir.path("theirs.sqlite")
        do {
            let theirs = try SQLiteFile(path: path, create: true)
            _ = try theirs.rows("CREATE TABLE accounts (name TEXT, balance INTEGER)")
            _ = try theirs.rows("INSERT INTO accounts VALUES ('alice', 10)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let input = try dir.write("docs.txt", generatedLines(3))
        let result = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--db", path, "--input", input,
                                       "--threads", "1"])
        result.expectRefusal(naming: "accounts")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let tables = try SQLiteFile(path: path).rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        #expect(tables.map { $0.first.flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } } == ["accounts"])
        #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
    }
}
