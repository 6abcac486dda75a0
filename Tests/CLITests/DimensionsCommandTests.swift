import Foundation
import Testing

/// `--dimensions N`: the first N values of each embedding, L2-normalised; recorded by `encode`,
/// followed by `search`.
@Suite struct DimensionsCommandTests {
    @Test func embedDimensions64GivesUnitVectorsOfTheFirst64Values() throws {
        let input = EmbedCommandTests.texts.joined(separator: "\n")
        let full = try runEmbedTune(["embed", "--model", Repository.miniLM.path], lines: input)
        #expect(full.status == 0, "\(full.stderr)")
        let truncated = try runEmbedTune(["embed", "--model", Repository.miniLM.path, "--dimensions", "64"], lines: input)
        #expect(truncated.status == 0, "\(truncated.stderr)")
        let fullVectors = try parseEmbeddings(full, dim: 384)
        let vectors = try parseEmbeddings(truncated, dim: 64)
        try #require(vectors.count == EmbedCommandTests.texts.count && fullVectors.count == vectors.count)
        for (i, (v, whole)) in zip(vectors, fullVectors).enumerated() {
            #expect(abs(norm(v) - 1) <= 1e-5, "line \(i) has norm \(norm(v))")
            let prefix = Array(whole.prefix(64))
            let scale = Float(1 / norm(prefix))
            #expect(maxAbsDifference(v, prefix.map { $0 * scale }) <= 1e-5, "line \(i)")
        }

        let npy = FileManager.default.temporaryDirectory.appendingPathComponent("dims-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: npy) }
        let written = try runEmbedTune(
            ["embed", "--model", Repository.miniLM.path, "--dimensions", "64", "--output", npy.path], lines: input)
        #expect(written.status == 0, "\(written.stderr)")
        let array = try NPYArray(contentsOf: npy)
        #expect(array.shape == [EmbedCommandTests.texts.count, 64])
    }

    @Test(arguments: ["10000", "385", "0", "-2"])
    func dimensionsOutsideTheModelIsAnErrorNamingTheOptionAndTheModelsDimension(_ value: String) throws {
        let result = try runEmbedTune(["embed", "--model", Repository.miniLM.path, "--dimensions=\(value)"], lines: "hello")
        #expect(result.status != 0)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.contains("--dimensions \(value)") && result.stderr.contains("384"), "\(result.stderr)")
    }

    @Test func theOptionIsOnTheCommandsThatEmbedAndNoOther() throws {
        for command in ["embed", "encode", "eval", "serve"] {
            let help = try runEmbedTune([command, "--help"])
            #expect(help.stdoutText.contains("--dimensions"), "\(command)")
        }
        for command in ["search", "tokenize", "train", "merge"] {
            let help = try runEmbedTune([command, "--help"])
            #expect(help.status == 0 && !help.stdoutText.contains("--dimensions"), "\(command)")
        }
    }

    @Test func encodeIntoAStoreOfAnotherDimensionIsRefusedAndNothingChanges() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let input = try dir.write("corpus.txt", generatedLines(30))
        let other = try dir.write("other.txt", generatedLines(40, seed: 5))
        let encode = ["encode", "--model", Repository.tinyModel.path, "--threads", "1"]
        let full = dir.path("full.db"), small = dir.path("small.db")
        #expect(try runEmbedTune(encode + ["--input", input, "--db", full]).status == 0)
        let first = try runEmbedTune(encode + ["--input", input, "--db", small, "--dimensions", "8"])
        #expect(first.status == 0, "\(first.stderr)")
        let recorded = try SQLiteFile(path: small).rows("SELECT value FROM meta WHERE key = 'truncate_dim'")
        #expect(recorded.count == 1 && recorded.first?.first == Data("8".utf8))
        #expect(try SQLiteFile(path: small).integer("SELECT length(embedding) FROM documents LIMIT 1") == 8 * 4)
        #expect(try SQLiteFile(path: full).integer("SELECT COUNT(*) FROM meta WHERE key = 'truncate_dim'") == 0)

        let fullRows = try documentRows(full), smallRows = try documentRows(small)
        let cases: [(db: String, dimensions: [String], names: [String])] = [
            (full, ["--dimensions", "8"], ["full 32 dimensions", "--dimensions 8"]),
            (small, [], ["--dimensions 8", "full 32 dimensions"]),
            (small, ["--dimensions", "16"], ["--dimensions 8", "--dimensions 16"]),
        ]
        for c in cases {
            let refused = try runEmbedTune(encode + ["--input", other, "--db", c.db] + c.dimensions)
            #expect(refused.status != 0)
            #expect(refused.stderr.contains(c.db), "\(refused.stderr)")
            for name in c.names { #expect(refused.stderr.contains(name), "\(name): \(refused.stderr)") }
        }
        #expect(try documentRows(full) == fullRows)
        #expect(try documentRows(small) == smallRows)

        // The same truncation (and all 32 values of this normalising model on the full store) is accepted.
        let again = try runEmbedTune(encode + ["--input", input, "--db", small, "--dimensions", "8", "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try jsonObject(again.stdoutText)["unchanged"] as? Int == 30)
        let all = try runEmbedTune(encode + ["--input", input, "--db", full, "--dimensions", "32", "--json"])
        #expect(all.status == 0, "\(all.stderr)")
        #expect(try jsonObject(all.stdoutText)["unchanged"] as? Int == 30)
    }

    @Test func searchEncodesTheQueryWithTheStoresDimensions() throws {
        let dir = try Scratch()
        defer { dir.remove() }
        let corpus = generatedLines(50)
        let input = try dir.write("corpus.txt", corpus)
        let db = dir.path("v.db")
        let encoded = try runEmbedTune(
            ["encode", "--model", Repository.tinyModel.path, "--input", input, "--db", db, "--dimensions", "12"])
        #expect(encoded.status == 0, "\(encoded.stderr)")
        let line = corpus.split(separator: "\n")[17]
        let result = try runEmbedTune(["search", "--db", db, "-k", "3", "--json", String(line)])
        #expect(result.status == 0, "\(result.stderr)")
        let results = try #require(try jsonObject(result.stdoutText)["results"] as? [[String: Any]])
        #expect(results.count == 3)
        #expect(results.first?["text"] as? String == String(line))
        #expect(abs(((results.first?["score"] as? NSNumber)?.doubleValue ?? 0) - 1) <= 1e-5)
    }
}
