import Foundation
import Retrieval
import Store

/// The search index of the service (one database, or several searched as one), each database reopened
/// when it changes: every `/search` first compares
/// the size and modification time of the database file, its WAL file and its index file
/// (`VectorIndexFile`) with those of the last load (three `stat` calls), and after a change — an `encode` that committed documents meanwhile — loads the store
/// again before searching, so documents encoded after the server started are found. A reload that fails
/// (the file mid-rewrite, say) keeps the previous index and is tried again at the next search.
final class LiveIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var shards: [Searcher]
    private var signatures: [[Int64]]
    private var searcher: ShardedSearcher

    init(_ searcher: ShardedSearcher) {
        shards = searcher.shards
        signatures = shards.map { Self.signature(of: $0.databasePath) }
        self.searcher = searcher
    }

    /// The index for the databases as they are now.
    func current() -> ShardedSearcher {
        lock.lock()
        defer { lock.unlock() }
        var reloaded = shards
        var changed = false
        for (i, shard) in shards.enumerated() {
            let now = Self.signature(of: shard.databasePath)
            guard now != signatures[i] else { continue }
            do {
                let fresh = try Searcher(
                    store: VectorStore(path: shard.databasePath, readOnly: true), encoder: shard.encoder,
                    quantized: shard.isQuantized)
                fresh.queryPrompt = shard.queryPrompt
                reloaded[i] = fresh
                signatures[i] = now
                changed = true
            } catch {
                // Keep serving the last good index of this database.
            }
        }
        if changed, let fresh = try? ShardedSearcher(shards: reloaded, quantized: false) {
            shards = reloaded
            searcher = fresh
        }
        return searcher
    }
    /// Size and modification time (nanoseconds) of the database, its WAL file and its index file (0s when
    /// absent).
    static func signature(of path: String) -> [Int64] {
        [path, path + "-wal", VectorIndexFile.path(forDatabase: path)].flatMap { file -> [Int64] in
            var status = stat()
            guard stat(file, &status) == 0 else { return [0, 0] }
            return [Int64(status.st_size), Int64(status.st_mtim.tv_sec) * 1_000_000_000 + Int64(status.st_mtim.tv_nsec)]
        }
    }
}
