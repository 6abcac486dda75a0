import Datasets
import Store

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
