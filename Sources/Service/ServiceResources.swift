import Encoder
import Foundation
import Retrieval
import Store

/// The frozen encoder and, with databases, their searcher (the vectors loaded once, the same
/// search as `embedtune search`): what `embedtune serve` loads once and shares read-only between
/// all requests.
public struct ServiceResources: Sendable {
    public var encoder: SentenceEncoder
    /// The databases searched as one (`ShardedSearcher`), nil without a database.
    public var searcher: ShardedSearcher?
    /// The first database's searcher.
    public var index: Searcher? { searcher?.shards.first }

    public init(encoder: SentenceEncoder, index: Searcher?) {
        self.encoder = encoder
        searcher = index.map(ShardedSearcher.init(single:))
    }

    public init(encoder: SentenceEncoder, searcher: ShardedSearcher?) {
        self.encoder = encoder
        self.searcher = searcher
    }

    /// `load(database:...)` of the first of `databases`; every other must record the same model
    /// (`ServiceSetupError.fingerprintMismatch`, `StoreError.shardModelMismatch` naming the file), and all
    /// are searched as one store (`ShardedSearcher`). No databases: `model` alone.
    public static func load(
        databases: [String], model: String?, adapter: String?, dimensions: Int? = nil, precision: InferencePrecision? = nil
    ) throws -> ServiceResources {
        let first = try load(database: databases.first, model: model, adapter: adapter, dimensions: dimensions, precision: precision)
        guard let index = first.index, databases.count > 1 else { return first }
        let others = try databases.dropFirst().map { database in
            do {
                return try Searcher(store: VectorStore(path: database, readOnly: true), encoder: first.encoder)
            } catch SearchError.modelChanged(_, _, let recorded, let found) {
                throw ServiceSetupError.fingerprintMismatch(database: database, recorded: recorded, given: found)
            }
        }
        return ServiceResources(encoder: first.encoder, searcher: try ShardedSearcher(shards: [index] + others, quantized: false))
    }

    /// With `database`: the model recorded in it (or `model`/`adapter` when given, truncating at
    /// the recorded length), which must have the recorded fingerprint, its embeddings truncated as
    /// the stored vectors were; `dimensions`, when given, must ask for that same truncation.
    /// Without: `model` alone, truncated at `dimensions` when given, and no search. `precision`: the
    /// format of the encoder's products (nil: the recorded one with `database`, else fp32); one other
    /// than the recorded fails the fingerprint check.
    public static func load(
        database: String?, model: String?, adapter: String?, dimensions: Int? = nil, precision: InferencePrecision? = nil
    ) throws -> ServiceResources {
        guard let database else {
            guard let model else { throw ServiceSetupError.nothingToServe }
            let encoder = try loadEncoder(model: model, adapter: adapter, maxLength: nil, precision: precision ?? .fp32)
            return ServiceResources(encoder: try truncate(encoder, to: dimensions), index: nil)
        }
        let store = try VectorStore(path: database, readOnly: true)
        guard let recorded = try store.storedModel() else { throw ServiceSetupError.noModelRecorded(database: database) }
        // Without --model: the recorded directories, or those recorded relative to the database when the
        // database and its model moved together.
        let locations = try store.modelLocations()
        let recordedLocation = locations.first { FileManager.default.fileExists(atPath: $0.modelPath) }
            ?? StoreModelLocation(modelPath: recorded.modelPath, adapterPath: recorded.adapterPath)
        let full = try loadEncoder(
            model: model ?? recordedLocation.modelPath, adapter: model == nil ? recordedLocation.adapterPath : adapter,
            maxLength: recorded.maxLength, precision: precision ?? ModelFingerprint.precision(in: recorded.fingerprint))
        if let dimensions, try truncate(full, to: dimensions).truncation?.dimensions != recorded.truncation {
            throw ServiceSetupError.dimensionsMismatch(
                database: database, recorded: recorded.truncation, recordedDimension: recorded.dimension,
                given: dimensions)
        }
        // A recorded truncation the model cannot give (another model): the fingerprint check refuses it.
        let encoder = (try? full.truncated(to: recorded.truncation)) ?? full
        do {
            return ServiceResources(encoder: encoder, index: try Searcher(store: store, encoder: encoder))
        } catch SearchError.modelChanged(_, _, let recorded, let found) {
            throw ServiceSetupError.fingerprintMismatch(database: database, recorded: recorded, given: found)
        }
    }

    private static func truncate(_ encoder: SentenceEncoder, to dimensions: Int?) throws -> SentenceEncoder {
        do {
            return try encoder.truncated(to: dimensions)
        } catch {
            throw ServiceSetupError.dimensionsOutOfRange(requested: error.requested, modelDimension: error.modelDimension)
        }
    }

    private static func loadEncoder(
        model: String, adapter: String?, maxLength: Int?, precision: InferencePrecision
    ) throws -> SentenceEncoder {
        do {
            return try SentenceEncoder(
                modelDirectory: URL(fileURLWithPath: model), adapterDirectory: adapter.map { URL(fileURLWithPath: $0) },
                maxLength: maxLength, packing: .atLoad, precision: precision)  // long-lived: small requests run packed too
        } catch {
            throw ServiceSetupError.modelUnavailable(model: model, reason: String(describing: error))
        }
    }
}
