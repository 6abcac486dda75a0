@testable import Datasets
import Foundation
import Testing
@testable import Training

/// A fresh temporary directory per test, removed at the end.
final class TemporaryDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("training-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: file)
        return file
    }
}

@Suite struct TrainingPairsJSONLTests {
    @Test func readsAnchorsPositivesAndNegativesWithSharedTextKeys() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("pairs.jsonl", """
            {"anchor": "what is a cat", "positive": "a small feline", "negative": "a large dog", "id": 7}\r
            \r
            {"anchor": "what is a dog", "positive": "a large dog", "negative": ["a small feline"]}
            {"anchor": "what is a cat", "positive": "cats purr", "negative": "fish swim"}

            """)
        let data = try TrainingPairs.load(file)
        #expect(data.pairs == [
            TrainingPair(anchor: "what is a cat", positive: "a small feline", negatives: ["a large dog"]),
            TrainingPair(anchor: "what is a dog", positive: "a large dog", negatives: ["a small feline"]),
            TrainingPair(anchor: "what is a cat", positive: "cats purr", negatives: ["fish swim"]),
        ])
        #expect(data.negativeCount == 1)
        #expect(data.anchorKeys[0] == data.anchorKeys[2] && data.anchorKeys[0] != data.anchorKeys[1])
        #expect(data.negativeKeys[0][0] == data.positiveKeys[1])   // "a large dog" in two roles
        #expect(data.negativeKeys[0][1] == data.positiveKeys[0])
        let keys = data.keys(batch: [2, 0])
        #expect(keys.anchors == [data.anchorKeys[2], data.anchorKeys[0]])
        #expect(keys.negatives == [[data.negativeKeys[0][2], data.negativeKeys[0][0]]])
    }

    static let errorCases: [(String, String, @Sendable (String) -> DataError)] = [
        ("missing anchor", "{\"anchor\": \"a\", \"positive\": \"b\"}\n{\"positive\": \"b\"}\n",
         { .missingField(file: $0, line: 2, field: "anchor") }),
        ("null positive", "{\"anchor\": \"a\", \"positive\": null}\n", { .missingField(file: $0, line: 1, field: "positive") }),
        ("numeric positive", "{\"anchor\": \"a\", \"positive\": 3}\n",
         { .wrongType(file: $0, line: 1, field: "positive", expected: "a string") }),
        ("number among negatives", "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": [\"c\", 1]}\n",
         { .wrongType(file: $0, line: 1, field: "negative", expected: "a string or a list of strings") }),
        ("uneven negatives", "{\"anchor\": \"a\", \"positive\": \"b\", \"negative\": \"c\"}\n\n{\"anchor\": \"a\", \"positive\": \"b\"}\n",
         { .inconsistentNegatives(file: $0, line: 3, expected: 1, found: 0) }),
        ("broken JSON", "{\"anchor\": \"a\", \"positive\": \"b\"}\n{\"anchor\": \"a\",\n",
         { .invalidJSON(file: $0, line: 2, reason: "unexpected end of file during JSON parse") }),
        ("text after the object", "{\"anchor\": \"a\", \"positive\": \"b\"} x\n",
         { .invalidJSON(file: $0, line: 1, reason: "invalid value around column 34") }),
        ("not an object", "[\"a\", \"b\"]\n", { .invalidJSON(file: $0, line: 1, reason: "expected a JSON object") }),
        ("only blank lines", "\n  \n", { .noPairs(file: $0) }),
    ]

    @Test(arguments: 0..<errorCases.count)
    func errorsNameTheFileLineAndField(index: Int) throws {
        let (name, text, expected) = Self.errorCases[index]
        let dir = try TemporaryDirectory()
        let file = try dir.write("bad.jsonl", text)
        #expect(throws: expected(file.path), "\(name)") { try TrainingPairs.load(file) }
        let message = "\(expected(file.path))"
        #expect(message.hasPrefix(file.path))
    }

    @Test func missingFileIsNamed() {
        let url = URL(fileURLWithPath: "/nonexistent/pairs.jsonl")
        #expect(throws: DataError.cannotRead(file: url.path, reason: "no such file or directory")) { try TrainingPairs.load(url) }
    }
}

@Suite struct TrainingPairsBEIRTests {
    /// A small BEIR directory: titles with and without text, CRLF qrels, a zero score, a qrel for an
    /// unknown document and query ids that sort differently as numbers and as text.
    /// (Read by the same rules as evaluation's BEIRDataset: see `theRulesOfEvaluationsReader`.)
    static func write(into dir: TemporaryDirectory, qrels: String? = nil) throws {
        try dir.write("corpus.jsonl", """
            {"_id": "d1", "title": "Cats", "text": "Cats purr."}
            {"_id": "d2", "title": "", "text": "Dogs bark."}
            {"_id": "d3", "text": "  Fish swim.  "}
            {"_id": "d4", "title": " Birds ", "text": "fly "}
            {"_id": "d5", "title": null, "text": "Nothing."}

            """)
        try dir.write("queries.jsonl", """
            {"_id": "10", "text": "why do cats purr"}
            {"_id": "9", "text": "do dogs bark"}
            {"_id": "11", "text": "unused"}

            """)
        try dir.write("qrels/train.tsv", qrels ?? "query-id\tcorpus-id\tscore\r\n9\td2\t1\r\n10\td4\t2\r\n10\td1\t1\r\n9\td3\t0\r\n9\tmissing\t1\r\n10\td5\t1\r\n")
    }

    @Test func pairsFollowFinetuneSTOrderAndTextRules() throws {
        let dir = try TemporaryDirectory()
        try Self.write(into: dir)
        let data = try TrainingPairs.load(dir.url, split: "train")
        // sorted by query id as text ("10" < "9"), then by document id; score 0 and unknown documents skipped
        #expect(data.pairs == [
            TrainingPair(anchor: "why do cats purr", positive: "Cats Cats purr."),
            TrainingPair(anchor: "why do cats purr", positive: "Birds  fly"),
            TrainingPair(anchor: "why do cats purr", positive: "Nothing."),
            TrainingPair(anchor: "do dogs bark", positive: "Dogs bark."),
        ])
        #expect(data.anchorKeys[0] == data.anchorKeys[2])
    }

    /// One reading of a BEIR directory: what evaluation refuses, training refuses, and what it accepts
    /// (integer ids, a qrels file without a header) training accepts too.
    @Test func theRulesOfEvaluationsReader() throws {
        let dir = try TemporaryDirectory()
        try Self.write(into: dir, qrels: "9\td2\t1\n10\td1\t1\n")
        #expect(try TrainingPairs.load(dir.url, split: "train").pairs.count == 2)  // no header: the first row counts
        try Self.write(into: dir, qrels: "query-id\tcorpus-id\tscore\n9\td2\t1\n12\td1\t1\n")
        let qrels = dir.url.appendingPathComponent("qrels/train.tsv").path
        #expect(throws: DataError.unknownQuery(file: qrels, line: 3, id: "12")) {
            try TrainingPairs.load(dir.url, split: "train")
        }
        try Self.write(into: dir, qrels: "query-id\tcorpus-id\tscore\n9\td2\t1\n")
        try dir.write("queries.jsonl", "{\"_id\": 9, \"text\": \"do dogs bark\"}\n")
        #expect(try TrainingPairs.load(dir.url, split: "train").pairs == [TrainingPair(anchor: "do dogs bark", positive: "Dogs bark.")])
        try dir.write("queries.jsonl", "{\"_id\": \"9\", \"text\": \"a\"}\n{\"_id\": \"9\", \"text\": \"b\"}\n")
        let queries = dir.url.appendingPathComponent("queries.jsonl").path
        #expect(throws: DataError.repeatedID(file: queries, line: 2, id: "9", firstLine: 1)) {
            try TrainingPairs.load(dir.url, split: "train")
        }
    }

    @Test func untitledPassagesKeepTheirWhitespace() throws {
        let dir = try TemporaryDirectory()
        try Self.write(into: dir, qrels: "q\tc\ts\n9\td3\t1\n")
        #expect(try TrainingPairs.load(dir.url, split: "train").pairs == [TrainingPair(anchor: "do dogs bark", positive: "  Fish swim.  ")])
    }

    @Test func qrelsErrorsNameTheLine() throws {
        let dir = try TemporaryDirectory()
        try Self.write(into: dir, qrels: "query-id\tcorpus-id\tscore\n9\td2\t1\n10 d1 1\n")
        let qrels = dir.url.appendingPathComponent("qrels/train.tsv").path
        #expect(throws: DataError.invalidRow(file: qrels, line: 3, reason: "expected query-id<TAB>corpus-id<TAB>score, got 1 column(s)")) {
            try TrainingPairs.load(dir.url, split: "train")
        }
        try Self.write(into: dir, qrels: "query-id\tcorpus-id\tscore\n9\td2\tone\n")
        #expect(throws: DataError.invalidRow(file: qrels, line: 2, reason: "score \"one\" is not an integer")) {
            try TrainingPairs.load(dir.url, split: "train")
        }
    }

    @Test func missingPiecesAreNamed() throws {
        let dir = try TemporaryDirectory()
        try Self.write(into: dir)
        #expect(throws: DataError.cannotRead(file: dir.url.appendingPathComponent("qrels/dev.tsv").path, reason: "No such file or directory")) {
            try TrainingPairs.load(dir.url, split: "dev")
        }
        try dir.write("corpus.jsonl", "{\"_id\": \"d1\", \"text\": \"x\"}\n{\"_id\": \"d2\", \"title\": \"t\"}\n")
        #expect(throws: DataError.missingField(file: dir.url.appendingPathComponent("corpus.jsonl").path, line: 2, field: "text")) {
            try TrainingPairs.load(dir.url, split: "train")
        }
        try dir.write("corpus.jsonl", "{\"_id\": 1.5, \"text\": \"x\"}\n")
        #expect(throws: DataError.wrongType(file: dir.url.appendingPathComponent("corpus.jsonl").path, line: 1, field: "_id", expected: "a string or an integer")) {
            try TrainingPairs.load(dir.url, split: "train")
        }
    }

    @Test func pythonStripAndOrderMatchPython() {
        #expect(pythonStrip("\u{1C} a b \u{3000}\n") == "a b")
        #expect(pythonStrip(" \t ") == "")
        #expect(codePointOrder("10", "9") && codePointOrder("Z", "a") && !codePointOrder("b", "b"))
    }
}
