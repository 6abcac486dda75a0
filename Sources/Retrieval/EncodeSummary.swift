import Datasets
import Store
/// Which documents of the input one encode run takes: `--shard i/n` keeps the valid documents whose
/// 0-based position in the input is `i` modulo `n`, so n runs (on n machines) split a corpus.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count > 0, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// "i/n" with 0 <= i < n; nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public func contains(position: Int) -> Bool { position % count == index }

    public var description: String { "\(index)/\(count)" }
}

/// What an `EncodeJob` found and did. Before encoding (`EncodeEvent.planned`) `committed` is 0.
public struct EncodeSummary: Sendable, Equatable {
    /// Documents of the input (this shard) not in the store.
    public var new = 0
    /// Documents stored with another content hash: re-encoded and replaced.
    public var updated = 0
    /// Documents stored with the same content hash: not encoded again.
    public var unchanged = 0
    /// Invalid input lines reported and skipped (`skipInvalid`).
    public var skippedInvalid = 0
    /// Valid documents left to other shards.
    public var otherShards = 0
    /// Documents encoded and committed by this run (new + updated unless stopped early).
    public var committed = 0
    /// Chunks (transactions) committed by this run.
    public var chunks = 0
    /// True when `shouldStop` ended the run before every document was encoded.
    public var stopped = false
    /// Stored documents whose ids the input no longer has, deleted (`sync`).
    public var deleted = 0
    /// True when the run recomputed the int8 copy (`VectorStore.quantize()`).
    public var quantized = false
    /// Rows in the store at the end.
    public var stored = 0

    public init() {}

    /// Documents this run has to encode: new + updated.
    public var toEncode: Int { new + updated }
}

/// Progress of an `EncodeJob`, reported to its callback in this order: `invalidLine` while the
/// input is validated, `planned` once, `committed` after every chunk, `quantizing` at most once.
public enum EncodeEvent: Sendable {
    /// A bad line skipped under `skipInvalid`.
    case invalidLine(DataError)
    /// The whole input is valid (or its bad lines skipped); counts of what will be encoded.
    case planned(EncodeSummary)
    /// A chunk was encoded and committed: `done` of the run's `total` documents are stored.
    case committed(done: Int, total: Int)
    /// The int8 copy is being recomputed over `rows` stored vectors.
    case quantizing(rows: Int)
    /// The store's index file (`VectorIndexFile`) is being written for `rows` stored vectors.
    case indexing(rows: Int)
}
