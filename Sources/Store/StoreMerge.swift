import Foundation

/// Combines shard stores (`encode --shard i/n`) into one store, resumably (`embedtune merge-stores`).
///
/// 1. Every shard must record the same model: fingerprint (which covers weights, adapter, pooling,
///    normalisation, length, truncation and precision), dimension and document prompt
///    (`StoreError.shardModelMismatch`, naming both files and both fingerprints); an existing output
///    must record that model too (`StoreError.checkSameModel`). The output may not be a shard.
/// 2. The shards are copied in the order given, each in rowid order, `batchSize` rows per
///    transaction; the vectors' bytes are copied as stored. A row whose id the output holds with the
///    same title, text, hash and vector bytes is skipped (a duplicate in an earlier shard, or a batch an
///    earlier run committed); with any other content the merge stops with
///    `StoreError.conflictingDocument`, naming the id and both files, before that batch is written.
///    So the output's row order is the shards' rows in order, each id at its first occurrence — the
///    order `ShardedSearcher` ranks ties by — and a run killed at any moment leaves whole batches,
///    which the next run skips, ending with the same rows in the same order.
/// 3. When a shard or the output holds int8 codes, `VectorStore.quantize()` computes the output's from
///    every vector (after any copy, or when the output has none yet).
/// 4. The output's index file (`VectorIndexFile`) is written when it does not describe the store as it
///    now is. Its FTS5 index follows every insert by trigger. A killed merge leaves an index file whose
///    generation the inserts have changed, which searches do not use.
public struct StoreMerge: Sendable {
    public let outputPath: String
    public let shardPaths: [String]
    /// Rows per transaction.
    public var batchSize = 4096

    public init(outputPath: String, shardPaths: [String]) {
        self.outputPath = outputPath
        self.shardPaths = shardPaths
    }

    public func run(onEvent: (StoreMergeEvent) -> Void = { _ in }) throws -> StoreMergeSummary {
        precondition(batchSize > 0 && !shardPaths.isEmpty, "a merge needs shards and a positive batch size")
        for shard in shardPaths where StoreMerge.sameFile(shard, outputPath) { throw StoreError.mergeIntoShard(path: shard) }
        let shards = try shardPaths.map { try VectorStore(path: $0, readOnly: true) }
        let models = try shards.map { shard in
            guard let model = try shard.storedModel() else { throw StoreError.modelNotBound(path: shard.path) }
            return model
        }
        let model = models[0]
        for (shard, other) in zip(shards, models).dropFirst()
        where other.fingerprint != model.fingerprint || other.dimension != model.dimension
            || other.documentPrompt != model.documentPrompt || other.truncation != model.truncation
        {
            throw StoreError.shardModelMismatch(
                path: shard.path, model: StoreMerge.describe(other), firstPath: shards[0].path, firstModel: StoreMerge.describe(model))
        }
        var summary = StoreMergeSummary()
        summary.shards = shards.count
        summary.shardRows = try shards.reduce(0) { $0 + (try $1.count()) }
        let output = try VectorStore(path: outputPath)
        try output.bind(model: model)
        if try output.weightsStamp() == nil, let stamp = try shards[0].weightsStamp() { try output.recordWeightsStamp(stamp) }
        let outputWasQuantized = try output.int8Scales() != nil
        let shardQuantized = try shards.contains { try $0.int8Scales() != nil }
        let anyQuantized = outputWasQuantized || shardQuantized
        onEvent(.planned(shards: shards.count, rows: summary.shardRows))

        for (s, shard) in shards.enumerated() {
            var last = Int64.min
            while true {
                let batch = try shard.rows(after: last, limit: batchSize)
                guard let end = batch.last?.rowid else { break }
                switch try output.insertCopies(batch) {
                case .conflict(let id):
                    throw StoreError.conflictingDocument(
                        id: id, path: shard.path, otherPath: try StoreMerge.holder(of: id, in: shards[..<s]) ?? outputPath)
                case let .copied(inserted, present):
                    summary.copied += inserted
                    summary.alreadyPresent += present
                }
                last = end
                onEvent(.copied(done: summary.copied + summary.alreadyPresent, total: summary.shardRows))
            }
        }
        if anyQuantized && (summary.copied > 0 || !outputWasQuantized) {
            onEvent(.quantizing(rows: try output.count()))
            try output.quantize()
            summary.quantized = true
        }
        summary.stored = try output.count()
        if case .failure = try output.mappedIndex() {
            onEvent(.indexing(rows: summary.stored))
            try output.writeIndex()
            summary.indexWritten = true
        }
        return summary
    }

    /// The path of the first of `shards` that stores `id`.
    static func holder(of id: String, in shards: ArraySlice<VectorStore>) throws -> String? {
        try shards.first { try !$0.storedRows(ids: [id]).isEmpty }?.path
    }

    /// "fingerprint F (D dimensions[, prompt "P"])".
    public static func describe(_ model: StoreModelInfo) -> String {
        "fingerprint \(model.fingerprint) (\(model.dimension) dimensions"
            + (model.documentPrompt.map { ", document prompt \"\($0)\"" } ?? "") + ")"
    }

    /// True when both paths name one existing file (same device and inode).
    static func sameFile(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        guard stat(a, &sa) == 0, stat(b, &sb) == 0 else { return false }
        return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
    }
}

/// What a `StoreMerge` found and did.
public struct StoreMergeSummary: Sendable, Equatable {
    public var shards = 0
    /// Rows of all shards together (duplicates counted in each).
    public var shardRows = 0
    /// Rows inserted by this run.
    public var copied = 0
    /// Rows the output already held with the same content (an earlier shard's duplicate, or an earlier run).
    public var alreadyPresent = 0
    /// True when the run recomputed the int8 copy.
    public var quantized = false
    /// True when the run wrote the index file.
    public var indexWritten = false
    /// Rows in the output at the end.
    public var stored = 0

    public init() {}
}

/// Progress of a `StoreMerge`, in this order: `planned` once, `copied` after every batch, then
/// `quantizing` and `indexing` at most once each.
public enum StoreMergeEvent: Sendable {
    case planned(shards: Int, rows: Int)
    /// `done` of the shards' `total` rows are copied or found present.
    case copied(done: Int, total: Int)
    case quantizing(rows: Int)
    case indexing(rows: Int)
}
