import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A fresh directory for one test's files.
struct Scratch {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("embedtune-store-\(UUID().uuidString)")
    init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ text: String) throws -> String {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
        return path(name)
    }
    func remove() { try? FileManager.default.removeItem(at: url) }
}

/// `count` lines of seeded random words, 3 to 40 of them (a plain-text corpus: id = line number).
func generatedLines(_ count: Int, seed: UInt64 = 11) -> String {
    let words = ["river", "station", "music", "island", "history", "school", "game", "north", "film", "water",
                 "church", "team", "book", "city", "people", "world", "time", "state", "year", "the"]
    var state = seed
    func next() -> Int {  // SplitMix64
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Int((z ^ (z >> 31)) >> 33)
    }
    return (0..<count).map { _ in (0..<(3 + next() % 38)).map { _ in words[next() % words.count] }.joined(separator: " ") }
        .joined(separator: "\n") + "\n"
}

/// One JSON object from a command's standard output.
func jsonObject(_ line: String) throws -> [String: Any] {
    guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
        throw CLITestError("not a JSON object: \(line.prefix(120))")
    }
    return object
}

@Suite struct EncodeCommandTests {
    @Test func anEncodeKilledMidRunResumesToTheSameDatabase() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("corpus.txt", generatedLines(3000))
        let common = ["encode", "--model", Repository.tinyModel.path, "--input", input, "--batch-size", "8",
                      "--chunk-size", "50", "--threads", "1"]
        let whole = try runEmbedTune(common + ["--db", dir.path("whole.db")])
        #expect(whole.status == 0, "\(whole.stderr)")

        // Start the same encode into another file; SIGKILL it as soon as a chunk is committed.
        let killed = dir.path("killed.db")
        let process = Process()
        process.executableURL = try Repository.binary()
        process.arguments = common + ["--db", killed]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        while process.isRunning {
            if FileManager.default.fileExists(atPath: killed),
                let rows = try? SQLiteFile(path: killed).integer("SELECT COUNT(*) FROM documents"), rows > 0
            {
                kill(process.processIdentifier, SIGKILL)
                break
            }
            usleep(1000)
        }
        process.waitUntilExit()
        try #require(process.terminationReason == .uncaughtSignal, "the encode finished before it could be killed")
        let left = try SQLiteFile(path: killed).integer("SELECT COUNT(*) FROM documents")
        #expect(left > 0 && left < 3000 && left % 50 == 0, "\(left) rows: whole chunks only")

        let resumed = try runEmbedTune(common + ["--db", killed, "--json"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let summary = try jsonObject(resumed.stdoutText)
        #expect(summary["unchanged"] as? Int == left && summary["new"] as? Int == 3000 - left)
        #expect(summary["stored"] as? Int == 3000)

        let expected = try documentRows(dir.path("whole.db"))
        #expect(expected.count == 3000)
        let got = try documentRows(killed)
        #expect(got.count == expected.count)
        #expect(got == expected, "ids, texts, hashes and vector blobs equal, row for row")
    }

    @Test func aSecondModelOnTheSameDatabaseIsRefusedAndNothingChanges() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("corpus.txt", generatedLines(30))
        let db = dir.path("v.db")
        let first = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try documentRows(db)
        let other = try dir.write("other.txt", generatedLines(40, seed: 5))
        let second = try runEmbedTune(
            ["encode", "--model", Repository.tinyModel.path, "--max-length", "16", "--input", other, "--db", db])
        #expect(second.status != 0)
        #expect(second.stderr.contains(db) && second.stderr.contains("fingerprint"), "\(second.stderr)")
        #expect(try documentRows(db) == before)
    }

    @Test func aBadLineFailsNamingFileAndLineAndSkipInvalidSkipsIt() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write(
            "corpus.jsonl", "{\"id\": \"a\", \"text\": \"first\"}\n{\"id\": \"b\", \"text\": \"second\"}\n{\"id\": \"c\", \"text\":\n"
                + "{\"id\": 4, \"text\": \"fourth\"}\n")
        let db = dir.path("v.db")
        let failed = try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db])
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("\(input):3"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: db), "nothing is written before the input is valid")

        let skipped = try runEmbedTune(
            ["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db, "--skip-invalid", "--json"])
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("\(input):3"), "\(skipped.stderr)")
        let summary = try jsonObject(skipped.stdoutText)
        #expect(summary["skipped_invalid"] as? Int == 1 && summary["new"] as? Int == 3)
        let ids = try documentRows(db).map { $0[0].map { String(decoding: $0, as: UTF8.self) } }
        #expect(ids == ["a", "b", "4"])
    }
}

@Suite struct SearchCommandTests {
    /// Made-up one-line manual pages; each query below has one clearly right answer.
    static let corpus: [(id: String, text: String)] = [
        ("mkdir", "mkdir creates a new directory (a folder) at the given path."),
        ("rm", "rm deletes files for good; there is no trash can."),
        ("ls", "ls lists the names of the files in a folder."),
        ("cp", "cp copies a file to another place."),
        ("grep", "grep prints the lines of a text file that match a pattern."),
        ("ps", "ps shows the processes running on this machine."),
        ("tar", "tar packs many files into one archive, and unpacks it again."),
        ("ssh", "ssh opens a secure shell on a remote computer."),
        ("curl", "curl downloads a web page or a file from a URL."),
        ("bread", "Knead the dough for ten minutes, let it rise, then bake it at 220 degrees."),
        ("weather", "Tomorrow will be cold and windy with rain in the afternoon."),
    ]
    static let queries = [("how do I make a directory", "mkdir"), ("find lines containing a word in a file", "grep"),
                          ("download something from the internet", "curl")]

    /// Encodes the corpus with all-MiniLM-L6-v2 (JSONL with id/text) into a fresh database.
    func encodedDatabase(_ dir: Scratch, quantize: Bool = false) throws -> String {
        let lines = try Self.corpus.map { doc in
            String(decoding: try JSONSerialization.data(withJSONObject: ["id": doc.id, "text": doc.text]), as: UTF8.self)
        }
        let input = try dir.write("corpus.jsonl", lines.joined(separator: "\n") + "\n")
        let db = dir.path("v.db")
        let result = try runEmbedTune(
            ["encode", "--model", Repository.miniLM.path, "--input", input, "--db", db] + (quantize ? ["--quantize"] : []))
        #expect(result.status == 0, "\(result.stderr)")
        return db
    }

    @Test func jsonSearchFindsTheRightDocumentFirst() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let db = try encodedDatabase(dir)
        for (query, expected) in Self.queries {
            let result = try runEmbedTune(["search", "--db", db, "-k", "4", "--json", query])
            #expect(result.status == 0, "\(result.stderr)")
            try #require(result.outputLines.count == 1)
            let object = try jsonObject(result.outputLines[0])
            #expect(object["query"] as? String == query)
            let hits = try #require(object["results"] as? [[String: Any]])
            #expect(hits.count == 4)
            #expect(hits.first?["id"] as? String == expected, "\(query): \(hits.map { $0["id"] ?? "" })")
            #expect(hits.first?["text"] as? String == Self.corpus.first { $0.id == expected }?.text)
            let scores = hits.compactMap { ($0["score"] as? NSNumber)?.doubleValue }
            #expect(scores.count == 4 && zip(scores, scores.dropFirst()).allSatisfy { $0 >= $1 })
        }
    }

    @Test func plainSearchPrintsRankIdScoreAndSnippet() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let db = try encodedDatabase(dir)
        let result = try runEmbedTune(["search", "--db", db, "-k", "3", "how do I make a directory"])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.outputLines
        #expect(lines.count == 3)
        let first = lines.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init) ?? []
        #expect(first.count >= 4 && first[0] == "1" && first[1] == "mkdir", "\(lines)")
        #expect(first.count >= 3 && first[2].wholeMatch(of: /0\.\d{4}/) != nil, "\(lines)")
        #expect(lines.first?.contains("mkdir creates a new directory") == true)
    }

    @Test func withoutAQueryEveryStdinLineGivesOneJSONLine() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let db = try encodedDatabase(dir, quantize: true)
        for mode in [[], ["--quantized"]] {
            let result = try runEmbedTune(
                ["search", "--db", db, "-k", "2"] + mode, lines: Self.queries.map(\.0).joined(separator: "\n") + "\n")
            #expect(result.status == 0, "\(result.stderr)")
            let lines = result.outputLines
            try #require(lines.count == Self.queries.count)
            for (line, (query, expected)) in zip(lines, Self.queries) {
                let object = try jsonObject(line)
                #expect(object["query"] as? String == query)
                let hits = object["results"] as? [[String: Any]] ?? []
                #expect(hits.count == 2 && hits.first?["id"] as? String == expected, "\(mode) \(query)")
            }
        }
    }

    /// The index file holds int8 and 4-bit codes of every store, quantized or not.
    @Test func quantizedSearchOfAnUnquantizedDatabaseUsesTheIndexFilesCodes() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let lines = generatedLines(20)
        let input = try dir.write("corpus.txt", lines)
        let db = dir.path("v.db")
        #expect(try runEmbedTune(["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db]).status == 0)
        #expect(FileManager.default.fileExists(atPath: db + ".vectors"))
        let query = String(lines.split(separator: "\n")[4])
        let quantized = try runEmbedTune(["search", "--db", db, "--quantized", "--json", "-k", "1", query])
        let exact = try runEmbedTune(["search", "--db", db, "--json", "-k", "1", query])
        #expect(quantized.status == 0 && exact.status == 0 && quantized.stderr.isEmpty, "\(quantized.stderr)")
        #expect(quantized.stdout == exact.stdout)
    }

    @Test func aMissingModelDirectoryFailsNamingTheDatabase() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let model = dir.url.appendingPathComponent("model")
        try FileManager.default.copyItem(at: Repository.tinyModel, to: model)
        let input = try dir.write("corpus.txt", generatedLines(20))
        let db = dir.path("v.db")
        #expect(try runEmbedTune(["encode", "--model", model.path, "--input", input, "--db", db]).status == 0)
        #expect(try runEmbedTune(["search", "--db", db, "river"]).status == 0)
        try FileManager.default.removeItem(at: model)
        let result = try runEmbedTune(["search", "--db", db, "river"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(db) && result.stderr.contains(model.path), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func aMissingDatabaseFailsNamingIt() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-\(UUID().uuidString).db").path
        let result = try runEmbedTune(["search", "--db", missing, "river"])
        #expect(result.status != 0)
        #expect(result.stderr.contains(missing), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: missing), "search never creates a database")
    }
}

@Suite struct EncodeSearchHelpTests {
    @Test(arguments: [("encode", ["--model", "--db", "--input", "--batch-size", "--skip-invalid", "--quantize", "--shard"]),
                      ("search", ["--db", "-k", "--json", "--quantized", "<query>"])])
    func helpListsTheOptions(_ command: String, _ options: [String]) throws {
        let result = try runEmbedTune([command, "--help"])
        #expect(result.status == 0, "\(result.stderr)")
        for option in options { #expect(result.stdoutText.contains(option), "\(command) --help lacks \(option)") }
    }
}
