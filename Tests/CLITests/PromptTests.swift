import Foundation
import Testing

/// Prompts (`config_sentence_transformers.json`) against sentence-transformers' own embeddings
/// (scripts/reference/prompt_fixtures.py → Tests/EncoderTests/Fixtures/prompt_embeddings.json): `embed`
/// as `encode(prompt_name=/prompt=)`, `encode` as `encode_document`, `search` as `encode_query`; the
/// store records the document prompt and refuses vectors made with another.
@Suite struct PromptTests {
    struct Fixture {
        let texts: [String]
        let promptText: String
        let models: [String: [String: Any]]

        init() throws {
            let url = Repository.root.appendingPathComponent("Tests/EncoderTests/Fixtures/prompt_embeddings.json")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
            texts = object["texts"] as? [String] ?? []
            promptText = object["prompt_text"] as? String ?? ""
            models = object["models"] as? [String: [String: Any]] ?? [:]
        }

        func rows(_ model: String, _ key: String) throws -> [[Float]] {
            guard let rows = models[model]?[key] as? [[Double]] else { throw CLITestError("fixture lacks \(model).\(key)") }
            return rows.map { $0.map(Float.init) }
        }

        /// A copy of the tiny model with `model`'s prompts configuration, in `dir`.
        func directory(_ model: String, in dir: Scratch) throws -> String {
            let path = try HostileInput.tinyModel(in: dir, name: model)
            let config = models[model]?["config"] ?? [:]
            try JSONSerialization.data(withJSONObject: config)
                .write(to: URL(fileURLWithPath: path).appendingPathComponent("config_sentence_transformers.json"))
            return path
        }
    }

    static func expectClose(_ got: [[Float]], _ expected: [[Float]], _ what: String,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(got.count == expected.count, "\(what): \(got.count) rows", sourceLocation: sourceLocation)
        for (a, b) in zip(got, expected) {
            #expect(maxAbsDifference(a, b) <= 2e-5, "\(what): max difference \(maxAbsDifference(a, b))",
                    sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: [
        ("passage", [] as [String], "encode"),
        ("passage", ["--prompt-name", "query"], "encode_query"),
        ("passage", ["--prompt-name", "passage"], "encode_prompt_name_passage"),
        ("passage", ["--prompt", "between three: "], "encode_prompt"),
        ("default", [], "encode"),
        ("default", ["--prompt-name", "query"], "encode_query"),
        ("default", ["--prompt-name", "document"], "encode_document"),
        ("default", ["--prompt", ""], "no_prompt"),
    ])
    func embedEqualsSentenceTransformers(_ model: String, _ options: [String], _ key: String) throws {
        let fixture = try Fixture()
        let dir = try Scratch()
        defer { dir.remove() }
        let path = try fixture.directory(model, in: dir)
        let result = try runEmbedTune(["embed", "--model", path, "--threads", "1"] + options,
                                      lines: fixture.texts.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        Self.expectClose(try parseEmbeddings(result, dim: 32), try fixture.rows(model, key), "\(model) \(options)")
    }

    @Test(arguments: ["passage", "default"])
    func encodeStoresDocumentEmbeddingsAndSearchEmbedsQueriesLikeSentenceTransformers(_ model: String) throws {
        let fixture = try Fixture()
        let dir = try Scratch()
        defer { dir.remove() }
        let path = try fixture.directory(model, in: dir)
        let input = try dir.write("docs.txt", fixture.texts.joined(separator: "\n") + "\n")
        let encoded = try runEmbedTune(["encode", "--model", path, "--db", dir.path("s.db"), "--input", input, "--threads", "1"])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let blobs = try documentRows(dir.path("s.db")).map { row -> [Float] in
            let bytes = row[4] ?? Data()
            return bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        let documents = try fixture.rows(model, "encode_document")
        Self.expectClose(blobs, documents, "\(model) stored vectors")
        let recorded = try SQLiteFile(path: dir.path("s.db")).rows("SELECT value FROM meta WHERE key = 'document_prompt'")
        let config = fixture.models[model]?["config"] as? [String: Any]
        let documentPrompt = (config?["prompts"] as? [String: String])?["document"]
        #expect(recorded.map { $0.first.flatMap { $0 }.map { String(decoding: $0, as: UTF8.self) } }
                == (documentPrompt.map { [$0] } ?? []))

        let queries = try fixture.rows(model, "encode_query")
        let search = try runEmbedTune(["search", "--db", dir.path("s.db"), "--json", "-k", "5", "--threads", "1"],
                                      lines: fixture.texts[0] + "\n")
        #expect(search.status == 0, "\(search.stderr)")
        let results = try jsonObject(search.outputLines[0])["results"] as? [[String: Any]] ?? []
        func cosine(_ a: [Float], _ b: [Float]) -> Float {
            Float(Double(zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 }) / (norm(a) * norm(b)))
        }
        let expected = documents.map { cosine(queries[0], $0) }
        for result in results {
            guard let id = (result["id"] as? String).flatMap(Int.init), let score = result["score"] as? Double else { continue }
            #expect(abs(Float(score) - expected[id - 1]) <= 1e-4, "document \(id): \(score) vs \(expected[id - 1])")
        }
        #expect(results.count == 5)
    }

    @Test func vectorsOfTwoPromptsNeverShareAStore() throws {
        let fixture = try Fixture()
        let dir = try Scratch()
        defer { dir.remove() }
        let path = try fixture.directory("default", in: dir)
        let input = try dir.write("docs.txt", fixture.texts.joined(separator: "\n") + "\n")
        let encode = ["encode", "--model", path, "--db", dir.path("s.db"), "--input", input, "--threads", "1"]
        #expect(try runEmbedTune(encode).status == 0)
        let before = try documentRows(dir.path("s.db"))
        let other = try runEmbedTune(encode + ["--prompt-name", "classify"])
        other.expectRefusal(naming: "prompt")
        #expect(other.stderr.contains("national team: ") && other.stderr.contains("american state: "), "\(other.stderr)")
        #expect(try documentRows(dir.path("s.db")) == before)
    }

    @Test func anUnknownPromptNameIsRefusedListingTheModelsPrompts() throws {
        let fixture = try Fixture()
        let dir = try Scratch()
        defer { dir.remove() }
        let path = try fixture.directory("passage", in: dir)
        let result = try runEmbedTune(["embed", "--model", path, "--prompt-name", "pasage"], lines: "x\n")
        result.expectRefusal(naming: "--prompt-name")
        #expect(result.status == 64 && !result.stderr.contains("Usage:"), "a usage error without the usage text: \(result.stderr)")
        #expect(result.stderr.contains("pasage") && result.stderr.contains("passage"), "\(result.stderr)")
        let both = try runEmbedTune(["embed", "--model", path, "--prompt-name", "query", "--prompt", "x"], lines: "x\n")
        both.expectRefusal(naming: "--prompt")
    }
}
