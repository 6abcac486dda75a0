import Foundation
import Testing

/// One `tokenize` output line.
struct TokenizedLine: Decodable {
    var ids: [Int]
    var tokens: [String]
}

func parseTokenized(_ result: ProcessResult) throws -> [TokenizedLine] {
    try result.outputLines.enumerated().map { (i, line) in
        do { return try JSONDecoder().decode(TokenizedLine.self, from: Data(line.utf8)) } catch {
            throw CLITestError("output line \(i) is not {\"ids\":[...],\"tokens\":[...]}: \(line.prefix(120)) (\(error))")
        }
    }
}

/// The words a WordPiece token sequence spells, [CLS]/[SEP] dropped and "##" pieces joined.
func words(_ tokens: [String]) -> [String] {
    var words: [String] = []
    for token in tokens where token != "[CLS]" && token != "[SEP]" {
        if token.hasPrefix("##"), !words.isEmpty { words[words.count - 1] += token.dropFirst(2) } else { words.append(token) }
    }
    return words
}

/// The id of `token` in a model directory's vocab.txt (its line number).
func vocabularyId(_ token: String, in model: URL) throws -> Int {
    let text = try String(contentsOf: model.appendingPathComponent("vocab.txt"), encoding: .utf8)
    guard let id = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex(of: Substring(token)) else {
        throw CLITestError("\(token) not in \(model.path)/vocab.txt")
    }
    return id
}

struct TokenizeCommandTests {
    static let texts = ["", "hello world", "", "Tokenization of \"quoted\" back\\slash text", "Héllo WORLD again"]

    @Test(arguments: TestModel.allCases)
    func everyLineGivesOneTokenizedLineInOrder(_ model: TestModel) throws {
        let result = try runEmbedTune(["tokenize", "--model", model.url.path], lines: Self.texts.joined(separator: "\n"))
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try parseTokenized(result)
        try #require(lines.count == Self.texts.count)
        let cls = try vocabularyId("[CLS]", in: model.url), sep = try vocabularyId("[SEP]", in: model.url)
        for (i, line) in lines.enumerated() {
            #expect(line.ids.count == line.tokens.count, "line \(i)")
            #expect(line.ids.first == cls && line.ids.last == sep, "line \(i): \(line.ids)")
            #expect(line.tokens.first == "[CLS]" && line.tokens.last == "[SEP]", "line \(i): \(line.tokens)")
        }
        #expect(lines[0].ids == [cls, sep] && lines[2].ids == [cls, sep])
        #expect(lines[1].ids.count > 2)
    }

    @Test func miniLMIdsStartWith101AndEndWith102() throws {
        let result = try runEmbedTune(["tokenize", "--model", Repository.miniLM.path], lines: Self.texts.joined(separator: "\n") + "\n")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try parseTokenized(result)
        try #require(lines.count == Self.texts.count)
        for line in lines { #expect(line.ids.first == 101 && line.ids.last == 102, "\(line.ids)") }
        // The uncased vocabulary spells the lowercased, accent-stripped words; quotes and backslash are
        // tokens of their own and come back intact through the JSON escaping.
        #expect(words(lines[1].tokens) == ["hello", "world"])
        #expect(words(lines[3].tokens) == ["tokenization", "of", "\"", "quoted", "\"", "back", "\\", "slash", "text"])
        #expect(words(lines[4].tokens) == ["hello", "world", "again"])
    }

    @Test func linesComeBackInOrderAcrossReadChunksWithCRLF() throws {
        // About 1.6 MB of input: more than one 1 MiB read, more than one 64 KiB output flush.
        let count = 60_000
        let input = (0..<count).map { "line \($0) of the input" }.joined(separator: "\r\n")
        let result = try runEmbedTune(["tokenize", "--model", Repository.miniLM.path], lines: input)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try parseTokenized(result)
        try #require(lines.count == count)
        for (i, line) in lines.enumerated() where words(line.tokens) != ["line", "\(i)", "of", "the", "input"] {
            Issue.record("line \(i): \(line.tokens)")
            break
        }
    }

    @Test func aLineLongerThanTheReadBufferIsOneLineTruncatedToMaxLength() throws {
        let long = String(repeating: "word ", count: 300_000)  // 1.5 MB in one line
        let result = try runEmbedTune(["tokenize", "--model", Repository.miniLM.path, "--max-length", "16"], lines: "a\n" + long + "\nb")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try parseTokenized(result)
        try #require(lines.count == 3)
        #expect(lines[1].ids.count == 16 && lines[1].ids.last == 102)
        #expect(words(lines[0].tokens) == ["a"] && words(lines[2].tokens) == ["b"])
    }

    @Test func theDefaultTruncationIsSentenceTransformersMaxSeqLength() throws {
        let config = try Data(contentsOf: Repository.miniLM.appendingPathComponent("sentence_bert_config.json"))
        let maxSeqLength = try #require((try JSONSerialization.jsonObject(with: config) as? [String: Any])?["max_seq_length"] as? Int)
        let result = try runEmbedTune(["tokenize", "--model", Repository.miniLM.path], lines: String(repeating: "word ", count: 1000))
        let lines = try parseTokenized(result)
        #expect(lines.count == 1 && lines.first?.ids.count == maxSeqLength)
    }

    @Test func invalidUTF8IsReplacedAndDropped() throws {
        let input = Data([0xFF, 0xFE]) + Data("\nab".utf8) + Data([0xC3]) + Data("cd\n".utf8)
        let result = try runEmbedTune(["tokenize", "--model", Repository.miniLM.path], input: input)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try parseTokenized(result)
        try #require(lines.count == 2)
        #expect(lines[0].ids == [101, 102])
        // "ab\u{FFFD}cd": clean_text removes U+FFFD, leaving one word "abcd".
        #expect(words(lines[1].tokens) == ["abcd"])
    }

    @Test func aMissingModelDirectoryFailsNamingThePath() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-model-\(UUID().uuidString)").path
        let result = try runEmbedTune(["tokenize", "--model", missing], lines: "hello\n")
        #expect(result.status != 0)
        #expect(result.stderr.contains(missing), "\(result.stderr)")
    }
}
