import Encoder
import Foundation
@testable import Store
import Tensor
@testable import Retrieval

/// Fixture models for encode/search tests, found from this file's location.
enum TestModels {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The random 2-layer, 32-wide BERT of scripts/reference/encoder_fixtures.py (fast; meaningless vectors).
    static let tinyModel = root.appendingPathComponent("Tests/EncoderTests/Fixtures/tiny_bert")
    /// A peft LoRA adapter for the tiny model (scripts/reference, TrainingTests fixtures).
    static let tinyAdapter = root.appendingPathComponent("Tests/TrainingTests/Fixtures/tiny_adapter")

    static func tiny(adapter: Bool = false, maxLength: Int? = nil) throws -> SentenceEncoder {
        try SentenceEncoder(modelDirectory: tinyModel, adapterDirectory: adapter ? tinyAdapter : nil, maxLength: maxLength)
    }
}

/// `count` JSONL documents {"_id","title","text"} of seeded random words and varied lengths.
func generatedCorpus(_ count: Int, seed: UInt64 = 7) -> [(id: String, title: String?, text: String)] {
    let words = ["the", "city", "school", "world", "people", "state", "time", "year", "history", "river", "music",
                 "water", "north", "station", "game", "film", "book", "church", "island", "team"]
    var rng = SplitMix64(seed: seed)
    func pick() -> String { words[Int(rng.nextUniform() * Float(words.count)) % words.count] }
    return (0..<count).map { i in
        let length = 1 + Int(rng.nextUniform() * 40)
        let text = (0..<length).map { _ in pick() }.joined(separator: " ")
        return (id: "doc-\(i)", title: i % 3 == 0 ? nil : pick(), text: text)
    }
}

/// The corpus as JSONL lines (BEIR field names).
func jsonl(_ docs: [(id: String, title: String?, text: String)]) throws -> String {
    try docs.map { d in
        var object: [String: Any] = ["_id": d.id, "text": d.text]
        if let title = d.title { object["title"] = title }
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }.joined(separator: "\n") + "\n"
}

/// Everything a store holds that a resumed run must reproduce: rows in rowid order with id, title,
/// text, content hash and the vector's bit patterns, and the recorded model.
struct StoreDump: Equatable {
    struct Row: Equatable {
        var id: String
        var title: String?
        var text: String
        var contentHash: String
        var bits: [UInt32]
    }
    var rows: [Row]
    var model: StoreModelInfo?
    var scales: [UInt32]?

    init(path: String) throws {
        let store = try VectorStore(path: path, readOnly: true)
        model = try store.storedModel()
        guard model != nil else {
            rows = []
            return
        }
        let ids = Array(try store.loadMatrix().ids)
        rows = try store.documents(ids: ids).map {
            Row(id: $0.id, title: $0.title, text: $0.text, contentHash: $0.contentHash, bits: $0.embedding.map(\.bitPattern))
        }
        scales = try store.int8Scales()?.map(\.bitPattern)
    }
}

/// An encode job of `encoder` (default: the tiny model) from `input` into `database`.
func encodeJob(
    _ input: String, _ database: String, encoder: SentenceEncoder? = nil, chunkSize: Int = 32
) throws -> EncodeJob {
    let encoder = try encoder ?? TestModels.tiny()
    var job = EncodeJob(
        encoder: encoder,
        model: StoreModelInfo(encoder: encoder, modelPath: TestModels.tinyModel.path, adapterPath: nil),
        inputPath: input, databasePath: database)
    job.chunkSize = chunkSize
    job.batchSize = 8
    return job
}

/// A value shared between a test and a background thread.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}
