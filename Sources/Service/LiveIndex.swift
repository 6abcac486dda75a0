import Foundation
import Retrieval
import Store

/// The search index of the service, reopened when its database changes: every `/search` first compares
/// the size and modification time of the database file, its WAL file and its index file
/// (`VectorIndexFile`) with those of the last load (three `stat` calls), and after a change — an `encode` that committed documents meanwhile — loads the store
/// again before searching, so documents encoded after the server started are found. A reload that fails
/// (the file mid-rewrite, say) keeps the previous index and is tried again at the next search.
final class LiveIndex: @unchecked Sendable {
    private let lock = NSLock()
    private var searcher: Searcher
    private var signature: [Int64]

    init(_ searcher: Searcher) {
        self.searcher = searcher
        signature = Self.signature(of: searcher.databasePath)
    }

    /// The index for the database as it is now.
    func current() -> Searcher {
        lock.lock()
        defer { lock.unlock() }
        let now = Self.signature(of: searcher.databasePath)
        guard now != signature else { return searcher }
        do {
            let reloaded = try Searcher(
                store: VectorStore(path: searcher.databasePath, readOnly: true), encoder: searcher.encoder,
                quantized: searcher.isQuantized)
            reloaded.queryPrompt = searcher.queryPrompt
            searcher = reloaded
            signature = now
        } catch {
            // Keep serving the last good index.
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
