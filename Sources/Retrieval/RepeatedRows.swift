import Foundation
import Store

/// The rows of each shard whose id an earlier shard holds — rows the merged store (`StoreMerge`)
/// does not have. Found on first use (a pass over every id), then kept.
final class RepeatedRows: @unchecked Sendable {
    private let shards: [Searcher]
    private let lock = NSLock()
    private var found: [Set<Int>]?
    private var foundRowids: [[Int64]]?

    init(_ shards: [Searcher]) { self.shards = shards }

    /// Per shard, the row indices (matrix rows) repeated from an earlier shard.
    var rows: [Set<Int>] {
        lock.lock()
        defer { lock.unlock() }
        return rowsLocked()
    }

    /// The merged store's row count: every shard's rows less the repeated ones.
    var distinctCount: Int { shards.reduce(0) { $0 + $1.count } - rows.reduce(0) { $0 + $1.count } }

    /// Per shard, the SQLite rowids of the repeated rows.
    func rowids() throws -> [[Int64]] {
        lock.lock()
        defer { lock.unlock() }
        if let foundRowids { return foundRowids }
        let rows = rowsLocked()
        let rowids = try zip(shards, rows).map { shard, repeated -> [Int64] in
            repeated.isEmpty ? [] : try shard.store.rowids(ids: repeated.map { shard.matrix.ids[$0] })
        }
        foundRowids = rowids
        return rowids
    }

    private func rowsLocked() -> [Set<Int>] {
        if let found { return found }
        var seen = Set<String>()
        var repeated: [Set<Int>] = []
        for (s, shard) in shards.enumerated() {
            var mine = Set<Int>()
            let ids = shard.matrix.ids
            let last = s + 1 == shards.count
            for row in 0..<ids.count where s > 0 || !last {
                let id = ids[row]
                if s > 0 && seen.contains(id) { mine.insert(row) }
                if !last { seen.insert(id) }
            }
            repeated.append(mine)
        }
        found = repeated
        return repeated
    }
}
