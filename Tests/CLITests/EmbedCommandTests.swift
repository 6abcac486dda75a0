import Foundation
import Testing

/// The models the CLI is run with: the tiny random BERT (fast) and the default all-MiniLM-L6-v2.
enum TestModel: String, CaseIterable, CustomTestStringConvertible {
    case tiny, miniLM

    var url: URL { self == .tiny ? Repository.tinyModel : Repository.miniLM }
    var testDescription: String { rawValue }
}

/// `embed` output: every line must be a JSON object {"embedding":[dim numbers]}. The numbers are read
/// from the text with `Float(_:)` (exactly, without a Double in between), after checking that the line
/// parses as JSON.
func parseEmbeddings(_ result: ProcessResult, dim: Int, sourceLocation: SourceLocation = #_sourceLocation) throws -> [[Float]] {
    try result.outputLines.enumerated().map { (i, line) in
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        guard let numbers = object?["embedding"] as? [Any], object?.count == 1 else {
            throw CLITestError("output line \(i) is not {\"embedding\":[...]}: \(line.prefix(80))")
        }
        #expect(numbers.count == dim, "output line \(i) has \(numbers.count) values", sourceLocation: sourceLocation)
        guard let open = line.firstIndex(of: "["), let close = line.lastIndex(of: "]") else {
            throw CLITestError("output line \(i) has no array")
        }
        return try line[line.index(after: open)..<close].split(separator: ",").map {
            guard let value = Float(String($0)), value.isFinite else { throw CLITestError("line \(i): bad number \($0)") }
            return value
        }
    }
}

func norm(_ v: [Float]) -> Double { v.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "vectors of different lengths")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

struct EmbedCommandTests {
    /// Empty lines in the middle and at the start, a repeated line, non-ASCII, and a last line
    /// without "\n".
    static let texts = [
        "", "A man is playing a guitar.", "", "Ein Mann spielt Gitarre — déjà vu, 東京タワー 🎸",
        "A man is playing a guitar.", "The weather is cold today", "the last line has no newline",
    ]

    @Test(arguments: TestModel.allCases)
    func everyLineGivesOneEmbeddingInOrder(_ model: TestModel) throws {
        let dim = try hiddenSize(of: model.url)
        let forward = try runEmbedTune(["embed", "--model", model.url.path], lines: Self.texts.joined(separator: "\n"))
        #expect(forward.status == 0, "\(forward.stderr)")
        let vectors = try parseEmbeddings(forward, dim: dim)
        try #require(vectors.count == Self.texts.count)

        // The same texts in reverse order give the same vectors in reverse order.
        let backward = try runEmbedTune(
            ["embed", "--model", model.url.path], lines: Self.texts.reversed().joined(separator: "\n") + "\n")
        let reversed = try parseEmbeddings(backward, dim: dim)
        try #require(reversed.count == Self.texts.count)
        for (i, v) in vectors.enumerated() {
            #expect(maxAbsDifference(v, reversed[Self.texts.count - 1 - i]) <= 1e-5, "line \(i)")
        }

        // Identical lines give identical vectors, different lines different ones.
        #expect(maxAbsDifference(vectors[0], vectors[2]) <= 1e-6)
        #expect(maxAbsDifference(vectors[1], vectors[4]) <= 1e-6)
        #expect(maxAbsDifference(vectors[1], vectors[5]) > 1e-3)
        #expect(maxAbsDifference(vectors[0], vectors[6]) > 1e-3)
    }

    @Test(arguments: TestModel.allCases)
    func embeddingsAreUnitVectorsOfTheModelWidth(_ model: TestModel) throws {
        // Both models end with a Normalize module.
        let dim = try hiddenSize(of: model.url)
        let result = try runEmbedTune(["embed", "--model", model.url.path], lines: Self.texts.joined(separator: "\n"))
        #expect(result.status == 0, "\(result.stderr)")
        for (i, v) in try parseEmbeddings(result, dim: dim).enumerated() {
            #expect(abs(norm(v) - 1) <= 1e-5, "line \(i) has norm \(norm(v))")
        }
    }

    @Test func crlfLineEndingsGiveTheSameLinesAsLF() throws {
        let model = Repository.miniLM.path
        let lf = try runEmbedTune(["embed", "--model", model], lines: Self.texts.joined(separator: "\n") + "\n")
        let crlf = try runEmbedTune(["embed", "--model", model], lines: Self.texts.joined(separator: "\r\n") + "\r\n")
        #expect(lf.status == 0 && crlf.status == 0, "\(lf.stderr) \(crlf.stderr)")
        let a = try parseEmbeddings(lf, dim: 384), b = try parseEmbeddings(crlf, dim: 384)
        try #require(a.count == Self.texts.count && b.count == Self.texts.count)
        for i in a.indices { #expect(maxAbsDifference(a[i], b[i]) <= 1e-6, "line \(i)") }
    }

    @Test func aBlankInputLineIsStillALine() throws {
        // "\n\n\n": three empty texts; "": no text at all.
        let blank = try runEmbedTune(["embed", "--model", Repository.tinyModel.path], lines: "\n\n\n")
        #expect(blank.status == 0, "\(blank.stderr)")
        #expect(try parseEmbeddings(blank, dim: 32).count == 3)
        let nothing = try runEmbedTune(["embed", "--model", Repository.tinyModel.path], lines: "")
        #expect(nothing.status == 0, "\(nothing.stderr)")
        #expect(nothing.stdout.isEmpty)
    }

    @Test(arguments: TestModel.allCases)
    func npyOutputHoldsTheSameValuesAsJSONLines(_ model: TestModel) throws {
        let dim = try hiddenSize(of: model.url)
        let input = Self.texts.joined(separator: "\n")
        let jsonl = try parseEmbeddings(try runEmbedTune(["embed", "--model", model.url.path], lines: input), dim: dim)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("embedtune-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runEmbedTune(["embed", "--model", model.url.path, "--output", file.path], lines: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.isEmpty, "--output writes no JSON lines")
        let array = try NPYArray(contentsOf: file)
        #expect(array.shape == [Self.texts.count, dim])
        try #require(array.values.count == jsonl.count * dim)
        for i in jsonl.indices {
            // The JSON numbers are the shortest decimals that read back as the same Float.
            #expect(Array(array.values[i * dim..<(i + 1) * dim]) == jsonl[i], "row \(i)")
        }
    }

    @Test func npyOutputOfNoLinesHasZeroRows() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("embedtune-\(UUID().uuidString).npy")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path, "--output", file.path], lines: "")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(try NPYArray(contentsOf: file).shape == [0, 32])
    }

    @Test func batchSizeDoesNotChangeTheEmbeddings() throws {
        let input = Self.texts.joined(separator: "\n")
        let one = try runEmbedTune(["embed", "--model", Repository.miniLM.path, "--batch-size", "1"], lines: input)
        let all = try runEmbedTune(["embed", "--model", Repository.miniLM.path, "--batch-size", "64"], lines: input)
        let a = try parseEmbeddings(one, dim: 384), b = try parseEmbeddings(all, dim: 384)
        try #require(a.count == Self.texts.count && b.count == Self.texts.count)
        for i in a.indices { #expect(maxAbsDifference(a[i], b[i]) <= 1e-5, "line \(i)") }
    }

    @Test(arguments: TestModel.allCases)
    func invalidUTF8GivesALineAndDoesNotCrash(_ model: TestModel) throws {
        let dim = try hiddenSize(of: model.url)
        // A lone continuation byte, a truncated 3-byte sequence, an overlong encoding, 0xFF; then a line
        // of only invalid bytes, which U+FFFD replacement and clean_text turn into the empty text.
        var input = Data("caf".utf8) + Data([0xE9]) + Data(" ok \u{80}".utf8) + Data([0x80, 0xE2, 0x82, 0x20, 0xC0, 0xAF, 0xFF])
        input += Data("\n".utf8) + Data([0xFF, 0xFE, 0xC0]) + Data("\n\n".utf8)
        let result = try runEmbedTune(["embed", "--model", model.url.path], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        let vectors = try parseEmbeddings(result, dim: dim)
        try #require(vectors.count == 3)
        #expect(maxAbsDifference(vectors[1], vectors[2]) <= 1e-6, "only-invalid bytes embed like an empty line")
    }

    @Test func aMissingModelDirectoryFailsNamingThePath() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-model-\(UUID().uuidString)").path
        let result = try runEmbedTune(["embed", "--model", missing], lines: "hello\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains(missing), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func aBrokenModelDirectoryFailsNamingTheFile() throws {
        let fm = FileManager.default
        let copy = fm.temporaryDirectory.appendingPathComponent("broken-model-\(UUID().uuidString)")
        try fm.copyItem(at: Repository.tinyModel, to: copy)
        defer { try? fm.removeItem(at: copy) }
        try Data("{\"hidden_size\": ".utf8).write(to: copy.appendingPathComponent("config.json"))
        let result = try runEmbedTune(["embed", "--model", copy.path], lines: "hello\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains(copy.appendingPathComponent("config.json").path), "\(result.stderr)")
    }

    @Test(arguments: ["0", "-3"])
    func aBatchSizeBelowOneIsRejected(_ size: String) throws {
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path, "--batch-size", size], lines: "hello\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains("batch-size"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func anUnwritableOutputFailsNamingThePath() throws {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("no-such-dir-\(UUID().uuidString)/out.npy").path
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path, "--output", path], lines: "hello\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains(path), "\(result.stderr)")
    }
}
