import Foundation
import Testing
import Tokenizer

@Suite struct LoadingTests {
    static func fixture(_ name: String) throws -> Data { try Data(contentsOf: Fixtures.url(name)) }

    @Test func malformedTokenizerJSONNamesTheFile() throws {
        let dir = try Fixtures.temporaryDirectory([("tokenizer.json", Data("{\"model\": [1,".utf8))])
        let url = dir.appendingPathComponent("tokenizer.json")
        do {
            _ = try BertTokenizer(tokenizerJSON: url)
            Issue.record("loading a truncated tokenizer.json succeeded")
        } catch let error as TokenizerError {
            guard case .malformedFile(let path, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == url.path)
            #expect(error.description.contains("tokenizer.json"))
        }
    }

    @Test func missingFilesAndFieldsAreTypedErrors() throws {
        let dir = try Fixtures.temporaryDirectory([("tokenizer.json", Data("{\"normalizer\": null}".utf8))])
        #expect(throws: TokenizerError.missingField(path: dir.appendingPathComponent("tokenizer.json").path, field: "model")) {
            try BertTokenizer(tokenizerJSON: dir.appendingPathComponent("tokenizer.json"))
        }
        let empty = try Fixtures.temporaryDirectory([])
        #expect(throws: TokenizerError.noTokenizerFiles(directory: empty.path)) { try BertTokenizer.load(modelDirectory: empty) }
        let missing = empty.appendingPathComponent("vocab.txt")
        #expect(throws: TokenizerError.self) { try BertTokenizer(vocabTXT: missing, tokenizerConfig: nil) }
    }

    @Test func vocabWithoutUnknownTokenIsAnErrorNamingTheFile() throws {
        let dir = try Fixtures.temporaryDirectory([("vocab.txt", Data("[CLS]\n[SEP]\nhello\n".utf8))])
        let url = dir.appendingPathComponent("vocab.txt")
        #expect(throws: TokenizerError.missingUnknownToken(path: url.path, token: "[UNK]")) {
            try BertTokenizer(vocabTXT: url, tokenizerConfig: nil)
        }
    }

    @Test func maxLengthFollowsSentenceTransformersThenConfigs() throws {
        let tokenizerJSON = try Self.fixture("uncased_tokenizer.json")
        let withST = try Fixtures.temporaryDirectory([
            ("tokenizer.json", tokenizerJSON), ("sentence_bert_config.json", Data("{\"max_seq_length\": 200}".utf8)),
        ])
        #expect(try BertTokenizer.load(modelDirectory: withST).maxLength == 200)
        let withConfigs = try Fixtures.temporaryDirectory([
            ("vocab.txt", try Self.fixture("vocab.txt")),
            ("tokenizer_config.json", Data("{\"do_lower_case\": true, \"model_max_length\": 1000}".utf8)),
            ("config.json", Data("{\"max_position_embeddings\": 384}".utf8)),
        ])
        let loaded = try BertTokenizer.load(modelDirectory: withConfigs)
        #expect(loaded.maxLength == 384)
        #expect(loaded.encodeIDs("Hello World") == [101, 7592, 2088, 102])
        let bare = try Fixtures.temporaryDirectory([("vocab.txt", try Self.fixture("vocab.txt"))])
        #expect(try BertTokenizer.load(modelDirectory: bare).maxLength == 512)
    }
}

@Suite struct EncodingTests {
    static let tokenizer: BertTokenizer? = try? Fixtures.tokenizer("uncased", fromVocabTXT: false)

    @Test func specialTokensAndTruncation() throws {
        let t = try #require(Self.tokenizer)
        #expect(t.clsId == 101 && t.sepId == 102 && t.padId == 0 && t.unkId == 100 && t.vocabSize == 30522)
        #expect(t.encodeIDs("") == [101, 102])
        #expect(t.encodeIDs("a [SEP] b") == [101, 1037, 102, 1038, 102])
        #expect(t.encodeIDs("[sep]") == [101, 1031, 19802, 1033, 102])  // matched before lowercasing only
        let long = String(repeating: "word ", count: 1000)
        #expect(t.encodeIDs(long).count == 256)
        #expect(t.encodeIDs(long, maxLength: 10).count == 10)
        #expect(t.withMaxLength(20).encode(long).ids.last == 102)
        #expect(t.withMaxLength(20).encode(long).ids.count == 20)
    }

    @Test func offsetsAreScalarRangesOfTheInput() throws {
        let t = try #require(Self.tokenizer)
        let e = t.encode("Héllo, 中国!")
        #expect(e.tokens == ["[CLS]", "hello", ",", "中", "国", "!", "[SEP]"])
        #expect(e.offsets == [0..<0, 0..<5, 5..<6, 7..<8, 8..<9, 9..<10, 0..<0])
    }

    @Test func batchPadsToTheLongestWithMask() throws {
        let t = try #require(Self.tokenizer)
        let b = t.batch(["hello world", "", "a b c d"])
        #expect(b.batchSize == 3 && b.sequenceLength == 6 && b.lengths == [4, 2, 6])
        #expect(Array(b.ids[0..<6]) == t.encodeIDs("hello world") + [0, 0])
        #expect(Array(b.attentionMask[6..<12]) == [1, 1, 0, 0, 0, 0])
        #expect(b.typeIds.allSatisfy { $0 == 0 })
    }

    @Test func invalidUTF8IsReplacedAndThenDropped() throws {
        let t = try #require(Self.tokenizer)
        // The CLI decodes lines with String(decoding:as:): one U+FFFD per maximal invalid subsequence.
        let bytes: [UInt8] = [0x61, 0x62, 0xFF, 0xC3, 0x28, 0xE2, 0x82, 0x63]
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(Array(text.unicodeScalars).map(\.value) == [0x61, 0x62, 0xFFFD, 0xFFFD, 0x28, 0xFFFD, 0x63])
        #expect(t.encodeIDs(text) == t.encodeIDs("ab(c"))
    }

    @Test func concurrentEncodingGivesTheSameIDs() async throws {
        let t = try #require(Self.tokenizer)
        let texts = (0..<64).map { "Sentence number \($0): naïve café, 東京 and emoji 👍🏽 \(String(repeating: "x", count: $0))" }
        let serial = texts.map { t.encodeIDs($0) }
        let parallel = await withTaskGroup(of: (Int, [Int32]).self) { group in
            for (i, text) in texts.enumerated() { group.addTask { (i, t.encodeIDs(text)) } }
            var out = [[Int32]](repeating: [], count: texts.count)
            for await (i, ids) in group { out[i] = ids }
            return out
        }
        #expect(parallel == serial)
    }
}
