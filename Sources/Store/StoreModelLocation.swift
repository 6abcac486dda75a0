import Foundation
import GRDB

/// Where a store's model and adapter directories are to be found. `bind` records each path twice:
/// as given (made absolute) and relative to the database's directory, so a database moved together
/// with its model directory (the relative layout kept) still finds the model, and a database whose
/// model moved elsewhere is pointed at it with `search`/`serve`/`eval --model/--adapter`.
public struct StoreModelLocation: Sendable, Equatable {
    public var modelPath: String
    public var adapterPath: String?

    public init(modelPath: String, adapterPath: String?) {
        self.modelPath = modelPath
        self.adapterPath = adapterPath
    }

    /// `target` (absolute, or relative to the working directory) relative to `directory`, e.g.
    /// "../models/m"; nil when no relative path exists (another root).
    static func relative(_ target: String, from directory: String) -> String? {
        let to = URL(fileURLWithPath: target).standardizedFileURL.pathComponents
        let from = URL(fileURLWithPath: directory).standardizedFileURL.pathComponents
        guard to.first == "/", from.first == "/" else { return nil }
        var common = 0
        while common < min(to.count, from.count) && to[common] == from[common] { common += 1 }
        let parts = Array(repeating: "..", count: from.count - common) + to[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    static func directory(ofDatabase path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
    }
}

extension VectorStore {
    /// Where to look for the recorded model, in order: the recorded paths, then the paths relative to
    /// the database's present directory (when recorded and different). Empty for a new store.
    public func modelLocations() throws -> [StoreModelLocation] {
        try guarded {
            try pool.read { db in
                guard let model = try VectorStore.readModel(db, path: path) else { return [] }
                var locations = [StoreModelLocation(modelPath: model.modelPath, adapterPath: model.adapterPath)]
                typealias K = StoreSchema.Key
                let relativeModel = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [K.modelPathRelative])
                let relativeAdapter = try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [K.adapterPathRelative])
                if let relativeModel, model.adapterPath == nil || relativeAdapter != nil {
                    let base = URL(fileURLWithPath: StoreModelLocation.directory(ofDatabase: path))
                    let moved = StoreModelLocation(
                        modelPath: base.appendingPathComponent(relativeModel).standardizedFileURL.path,
                        adapterPath: relativeAdapter.map { base.appendingPathComponent($0).standardizedFileURL.path })
                    if moved != locations[0] { locations.append(moved) }
                }
                return locations
            }
        }
    }

    /// Records the model and adapter paths relative to the database's directory (see `StoreModelLocation`).
    static func setRelativePaths(_ db: Database, _ model: StoreModelInfo, databasePath: String) throws {
        let directory = StoreModelLocation.directory(ofDatabase: databasePath)
        typealias K = StoreSchema.Key
        try setMeta(db, K.modelPathRelative, StoreModelLocation.relative(model.modelPath, from: directory))
        try setMeta(db, K.adapterPathRelative, model.adapterPath.flatMap { StoreModelLocation.relative($0, from: directory) })
    }
}
