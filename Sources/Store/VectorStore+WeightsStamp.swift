import GRDB

/// The stamp of the weight files behind the recorded fingerprint (see the Encoder's `WeightsStamp`).
extension VectorStore {
    /// The stamp of the weight files the recorded fingerprint was computed from, when recorded.
    public func weightsStamp() throws -> String? {
        try guarded {
            try pool.read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [StoreSchema.Key.weightsStamp]) }
        }
    }

    /// Records `stamp` for the files whose weights gave the recorded fingerprint (nil: forget it).
    public func recordWeightsStamp(_ stamp: String?) throws {
        try guarded { try pool.write { db in try VectorStore.setMeta(db, StoreSchema.Key.weightsStamp, stamp) } }
    }
}
