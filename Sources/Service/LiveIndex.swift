import Foundation
import Retrieval
import Store

/// The search index of the service (one database, or several searched as one), each database reopened
/// when it changes: every `/search` first compares
/// the size and modification time of the database file, its WAL file and its index file
/// (`VectorIndexFile`) with those of the last load (three `stat` calls), and after a change — an `encode` that committed documents meanwhile — loads the store
/// again before searching, so documents encoded after the server started are found. A reload that fails
/// (the file mid-rewrite, say) keeps the previous index and is tried again at the next search.
///
/// A database whose index file a search found damaged (`SearchError.damagedIndex`) is reopened with
/// its vectors read from SQLite (`distrustIndex(at:)`; the service opens databases read-only and does
/// not write the file itself), and stays so until the index file changes — an `encode`, or a `search`
/// from the command line, writes it again.
final class LiveIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var shards: [Searcher]
    private var signatures: [[Int64]]
    /// Per database: its index file is damaged, as of the signature recorded with it.
    private var distrusted: [Bool]
    private var searcher: ShardedSearcher

    init(_ searcher: ShardedSearcher) {
        shards = searcher.shards
        signatures = shards.map { Self.signature(of: $0.databasePath) }
        distrusted = shards.map { _ in false }
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
            // A changed index file may have been written again; a damaged one that did not change stays distrusted.
            let trust = !distrusted[i] || now.suffix(2) != signatures[i].suffix(2)
            if let fresh = try? Self.reopen(shard, index: trust ? .ifCurrent : .never) {
                reloaded[i] = fresh
                signatures[i] = now
                distrusted[i] = !trust
                changed = true
            }  // else keep serving the last good index of this database
        }
        if changed, let fresh = try? ShardedSearcher(shards: reloaded, quantized: false) {
            shards = reloaded
            searcher = fresh
        }
        return searcher
    }

    /// The index with the database whose index file is `path` reopened from SQLite, after a search
    /// through that file threw `SearchError.damagedIndex`; nil when no database has that index file or
    /// the reopen failed.
    func distrustIndex(at path: String) -> ShardedSearcher? {
        lock.lock()
        defer { lock.unlock() }
        guard let i = shards.firstIndex(where: { VectorIndexFile.path(forDatabase: $0.databasePath) == path }) else {
            return nil
        }
        let now = Self.signature(of: shards[i].databasePath)
        var reloaded = shards
        guard let fresh = try? Self.reopen(shards[i], index: .never) else { return nil }
        reloaded[i] = fresh
        guard let sharded = try? ShardedSearcher(shards: reloaded, quantized: false) else { return nil }
        shards = reloaded
        signatures[i] = now
        distrusted[i] = true
        searcher = sharded
        return sharded
    }

    /// `shard`'s database opened again read-only, with the same encoder, quantization and query prompt.
    private static func reopen(_ shard: Searcher, index: SearchIndexUse) throws -> Searcher {
        let fresh = try Searcher(
            store: VectorStore(path: shard.databasePath, readOnly: true), encoder: shard.encoder,
            quantized: shard.isQuantized, index: index)
        fresh.queryPrompt = shard.queryPrompt
        return fresh
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
