import Datasets
import Encoder
import Foundation
import Store

/// Batch-encodes a corpus file into a vector store, resumably (the `embedtune encode` job).
///
/// 1. If the database exists, the model recorded in it must have the encoder's fingerprint
///    (`StoreError.truncationMismatch` when the embeddings are truncated differently,
///    `StoreError.fingerprintMismatch` otherwise) — checked before anything is read or written.
/// 2. The whole input is read once and validated: a bad line throws its `DataError` (file:line)
///    before the store is written to; with `skipInvalid` it is reported as `.invalidLine` and skipped.
///    Every document's content hash (`ContentHash`) is compared with the stored one: equal →
///    unchanged, different → updated, absent → new.
/// 3. The input is read again; the documents to encode are taken in input order, `chunkSize` at a
///    time. Each chunk is encoded (`SentenceEncoder.encode` sorts it by length and packs batches of
///    `batchSize`) and upserted in ONE transaction. A run killed at any moment therefore leaves whole
///    chunks only; the next run finds them by hash, and cuts the remaining documents into the same
///    chunks an uninterrupted run would have — so it ends with the same rows in the same order.
///    BEIR documents are embedded as their `passage` ((title + " " + text).strip()).
///    With `sync`, stored documents whose ids the input (every shard of it) does not hold are deleted
///    first, in one transaction, and only after the whole input was read and validated; not when a line
///    was skipped as invalid or the input holds no document (`SyncRefusal`, before any write).
/// 4. With `quantize`, or when the store already held an int8 copy and this run wrote vectors,
///    `VectorStore.quantize()` recomputes the int8 scales and codes.
/// 5. Unless stopped, the store's index file (`VectorIndexFile`, what `search` maps) is written again
///    when it does not describe the store as it now is. A run killed before this leaves a stale index
///    file, which searches detect and do not use.
public struct EncodeJob: Sendable {
    public let encoder: SentenceEncoder
    public let model: StoreModelInfo
    public let inputPath: String
    public let databasePath: String
    /// nil: `CorpusFormat.detect(path:)`.
    public var format: CorpusFormat?
    /// Documents per transaction.
    public var chunkSize = 1024
    /// Sequences per forward pass.
    public var batchSize = 32
    public var threads = 1
    public var skipInvalid = false
    public var shard: Shard?
    public var quantize = false
    /// Delete stored documents absent from the input.
    public var sync = false

    /// `model` is what the store records (see `StoreModelInfo.init(encoder:modelPath:adapterPath:)`);
    /// its fingerprint and dimension must be the encoder's.
    public init(encoder: SentenceEncoder, model: StoreModelInfo, inputPath: String, databasePath: String) {
        precondition(model.fingerprint == encoder.fingerprint.description && model.dimension == encoder.dimension,
                     "model info \(model.fingerprint) does not describe the encoder \(encoder.fingerprint)")
        self.encoder = encoder
        self.model = model
        self.inputPath = inputPath
        self.databasePath = databasePath
    }

    /// Runs the job. `shouldStop` is asked after every committed chunk; returning true ends the run
    /// there (`stopped` in the summary) with every committed chunk kept — as a kill would.
    public func run(
        onEvent: (EncodeEvent) -> Void = { _ in }, shouldStop: () -> Bool = { false }
    ) throws -> EncodeSummary {
        precondition(chunkSize > 0 && batchSize > 0 && threads > 0, "chunk size, batch size and threads must be positive")
        if FileManager.default.fileExists(atPath: databasePath),
            let stored = try VectorStore(path: databasePath).storedModel()
        {
            try StoreError.checkSameModel(stored: stored, given: model, path: databasePath)
        }
        var summary = EncodeSummary()
        var ids: [String] = []
        var hashes: [String] = []
        var inInput = Set<String>()  // every valid id, all shards (sync)
        try withoutActuallyEscaping(onEvent) { report in
            let invalid = InvalidLineCounter(report)
            let reader = try CorpusReader(path: inputPath, format: format, skipInvalid: skipInvalid, onInvalid: invalid.record)
            var position = 0
            while let doc = try reader.next() {
                defer { position += 1 }
                if sync { inInput.insert(doc.id) }
                if let shard, !shard.contains(position: position) {
                    summary.otherShards += 1
                    continue
                }
                ids.append(doc.id)
                hashes.append(ContentHash.of(id: doc.id, title: doc.title, text: doc.text))
            }
            summary.skippedInvalid = invalid.count
        }
        if sync && summary.skippedInvalid > 0 {
            throw SyncRefusal.skippedLines(input: inputPath, count: summary.skippedInvalid)
        }

        let store = try VectorStore(path: databasePath)
        try store.bind(model: model)
        if let stamp = encoder.weightsStamp { try store.recordWeightsStamp(stamp) }
        let wasQuantized = try store.int8Scales() != nil
        if sync {
            let stored = inInput.isEmpty ? try store.count() : 0
            if stored > 0 { throw SyncRefusal.emptyInput(input: inputPath, stored: stored) }
            summary.deleted = try store.deleteAll(except: inInput).count
            inInput = []
        }
        let stored = try store.existingHashes(ids: ids)
        var pending = Set<String>()
        for (id, hash) in zip(ids, hashes) {
            switch stored[id] {
            case hash: summary.unchanged += 1
            case nil: summary.new += 1; pending.insert(id)
            default: summary.updated += 1; pending.insert(id)
            }
        }
        ids = []
        hashes = []
        onEvent(.planned(summary))

        if !pending.isEmpty {
            try encodePending(pending, into: store, summary: &summary, onEvent: onEvent, shouldStop: shouldStop)
        }
        if !summary.stopped && (quantize || (wasQuantized && summary.committed > 0)) {
            onEvent(.quantizing(rows: try store.count()))
            try store.quantize()
            summary.quantized = true
        }
        summary.stored = try store.count()
        if !summary.stopped, case .failure = try store.mappedIndex() {
            onEvent(.indexing(rows: summary.stored))
            try store.writeIndex()
        }
        return summary
    }

    /// Pass 2: reads the input again and encodes the documents whose ids are in `pending`, in input
    /// order, `chunkSize` per transaction.
    private func encodePending(
        _ pending: Set<String>, into store: VectorStore, summary: inout EncodeSummary,
        onEvent: (EncodeEvent) -> Void, shouldStop: () -> Bool
    ) throws {
        // Lines skipped here were reported in pass 1.
        let reader = try CorpusReader(path: inputPath, format: format, skipInvalid: skipInvalid)
        var chunk: [CorpusDocument] = []
        var position = 0
        var endOfInput = false
        while !endOfInput {
            chunk.removeAll(keepingCapacity: true)
            while chunk.count < chunkSize {
                guard let doc = try reader.next() else {
                    endOfInput = true
                    break
                }
                defer { position += 1 }
                if let shard, !shard.contains(position: position) { continue }
                if pending.contains(doc.id) { chunk.append(doc) }
            }
            guard !chunk.isEmpty else { break }
            try store.upsert(try encode(chunk))
            summary.committed += chunk.count
            summary.chunks += 1
            onEvent(.committed(done: summary.committed, total: pending.count))
            if summary.committed < pending.count && shouldStop() {
                summary.stopped = true
                return
            }
        }
    }

    /// The chunk's rows: fields, content hash and embedding (dimension floats each).
    /// A non-finite embedding throws before its chunk is stored.
    private func encode(_ chunk: [CorpusDocument]) throws -> [StoredDocument] {
        let d = encoder.dimension
        let texts = ModelPrompts.apply(model.documentPrompt, to: chunk.map(\.passage))
        let vectors = encoder.encode(texts, batchSize: batchSize, threads: threads)
        if let row = NonFiniteEmbedding.firstRow(vectors, dimension: d) {
            throw NonFiniteEmbedding(input: "\(inputPath): document \"\(chunk[row].id)\"")
        }
        return chunk.enumerated().map { i, doc in
            StoredDocument(id: doc.id, title: doc.title, text: doc.text, embedding: Array(vectors[i * d..<(i + 1) * d]))
        }
    }
}

/// Counts the lines `CorpusReader` skips and passes each on as `.invalidLine`.
private final class InvalidLineCounter {
    private let report: (EncodeEvent) -> Void
    private(set) var count = 0
    init(_ report: @escaping (EncodeEvent) -> Void) { self.report = report }
    func record(_ error: DataError) {
        count += 1
        report(.invalidLine(error))
    }
}

extension StoreModelInfo {
    /// What a store records about `encoder`: its fingerprint, dimension, length, pooling,
    /// normalisation and truncation, and the directories it was loaded from (made absolute, so `search` finds them
    /// from any working directory).
    public init(encoder: SentenceEncoder, modelPath: String, adapterPath: String?, documentPrompt: String? = nil) {
        func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
        self.init(
            fingerprint: encoder.fingerprint.description, modelPath: absolute(modelPath),
            adapterPath: adapterPath.map(absolute), dimension: encoder.dimension, maxLength: encoder.maxLength,
            pooling: encoder.directory.pooling.rawValue, normalize: encoder.directory.normalize,
            truncation: encoder.truncation?.dimensions, documentPrompt: documentPrompt)
    }
}
