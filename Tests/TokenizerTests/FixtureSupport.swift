import Foundation
import Tokenizer

/// Access to `Fixtures/` (written by scripts/reference/tokenizer_fixtures.py).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Decoded with `JSONDecoder`: Foundation's `JSONSerialization` on Linux drops a U+FEFF that starts a string.
    static func decode<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url(name)))
    }

    struct Cases: Decodable {
        let singles: [String]
        let single_max_length: [Int]
        let pairs: [[String]]
        let pair_max_length: [Int]
        let default_max_length: Int
    }

    struct Golden: Decodable {
        let ids: [[Int32]]
        let offsets: [String: [[Int]]]
        let pair_ids: [[Int32]]
        let pair_type_ids: [[Int32]]
        let pair_offsets: [[[Int]]]
    }

    static func ranges(_ pairs: [[Int]]) -> [Range<Int>] { pairs.map { $0[0]..<$0[1] } }

    /// The uncased (MiniLM) or cased tokenizer from tokenizer.json, or from vocab.txt + tokenizer_config.json.
    static func tokenizer(_ variant: String, fromVocabTXT: Bool) throws -> BertTokenizer {
        if fromVocabTXT {
            return try BertTokenizer(vocabTXT: url("vocab.txt"), tokenizerConfig: url("\(variant)_tokenizer_config.json"))
                .withMaxLength(256)
        }
        return try BertTokenizer(tokenizerJSON: url("\(variant)_tokenizer.json"))
    }

    /// A model directory in a fresh temporary folder holding the given (name, contents) files.
    static func temporaryDirectory(_ files: [(String, Data)]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokenizer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, data) in files { try data.write(to: dir.appendingPathComponent(name)) }
        return dir
    }
}
