import ArgumentParser
import Foundation
import Retrieval
import Store

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

struct SearchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Semantic search over a vector store written by `encode`.",
        discussion: """
            The query is encoded with the model recorded in the database (its directory, adapter and maximum
            length); if that directory is gone or now holds another model, the search is refused. The vectors
            come from the database's index file (DB.vectors, written by `encode`; mapped, so a search reads only
            what it scans); when that file is missing or older than the database's last change it is written
            again (or, where the directory cannot be written, the vectors are read from the database, with a
            note). Every hit found through that file is checked against the database (its id must name a stored
            document, its score be the cosine with the stored vector); a file found damaged is deleted and written
            again, with a note, and the query searched again (where it cannot be written, the search fails naming
            it). The results are the exact top k by cosine similarity: the search reads the int8 codes first
            and computes float32 scores only for rows whose error bound could reach the top k — the same
            results as scoring every float32 vector, about four times less memory to read. --quantized is the
            approximate variant: a 4-bit copy of the int8 codes is scanned (an eighth of the float32 bytes),
            and its best candidates are rescored in float32.
            With QUERY: rank, id, score and a snippet per hit, or with --json one object
            {"query":...,"results":[{"id","score","text"}]}. Without QUERY: one query per line of standard
            input, one such JSON object per line. --mode lexical ranks by BM25 over title and text (the
            store's SQLite FTS5 index; FTS5 syntax in the query is searched as plain words), --mode hybrid by
            reciprocal rank fusion of the vector and lexical top-max(k, 100) lists; the score printed is then
            the BM25 or the fused score.
            Several --db (shards, e.g. from `encode --shard`) are searched as the one store `merge-stores` would
            make of them in the order given: the same ids, order and scores in every mode. Exact vector search
            merges each shard's top k; --quantized builds each shard's 4-bit copy with the scales of all shards
            (a pass over every vector at start); lexical and hybrid score each shard's rows with the BM25
            statistics of all shards. Ties rank by shard order, then row order, as in the merged store.
            """)

    @Option(help: "The SQLite vector store; repeat for shards searched as one (the results of `merge-stores` of them in this order).")
    var db: [String] = []
    @Option(help: "The model directory, when it is no longer where the database records it (must be the model the vectors were encoded with).")
    var model: String?
    @Option(help: "The adapter directory the vectors were encoded with, when it moved (with --model).") var adapter: String?
    @Option(name: .shortAndLong, parsing: .unconditional, help: "Results per query.") var k: Int = 10
    @Flag(help: "Print JSON.") var json = false
    @Flag(help: "Approximate: scan a 4-bit copy of the int8 codes, rescore the candidates in float32.") var quantized = false
    @Option(parsing: .unconditional, help: "CPU threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup(title: "Query prompt (default: the model's query prompt, if it defines one)") var prompts: PromptOptions
    @OptionGroup(title: "Ranking") var ranking: SearchModeOptions
    @Argument(help: "The query (omit it to read one query per standard-input line).") var query: String?

    func validate() throws {
        guard !db.isEmpty else { throw ValidationError("Missing expected argument '--db <db>'") }
        guard k > 0 else { throw ValidationError("-k must be positive") }
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
        if adapter != nil && model == nil { throw ValidationError("--adapter needs --model") }
    }

    func run() throws {
        var searcher = try openSearcher()
        for shard in searcher.shards { Self.reportIndex(shard.indexOutcome) }
        let mode = try ranking.resolved()
        var out = OutputBuffer(fileDescriptor: 1)
        if let query {
            let results = try search(query, mode: mode, with: &searcher)
            if json {
                Self.appendJSON(query: query, results: results, to: &out)
            } else {
                let ids = results.map { TerminalText.escaped($0.id) }
                let width = ids.map(\.count).max() ?? 0
                for (r, id) in zip(results, ids) {
                    let id = id.padding(toLength: max(width, id.count), withPad: " ", startingAt: 0)
                    out.append(String(format: "%2d  ", r.rank) + id + String(format: "  %.4f  ", r.score))
                    out.append(Self.snippet(title: r.title, text: r.text) + "\n")
                }
            }
            try out.flush()
            ExitWithoutTeardown.now()
        }
        // One JSON line per input line, flushed at once so the command also serves a pipe interactively.
        let lines = StandardInput.reader()
        while let line = try lines.nextText() {
            Self.appendJSON(query: line, results: try search(line, mode: mode, with: &searcher), to: &out)
            try out.flush()
        }
    }

    /// The stores of --db opened with the model options (a missing or stale index file written again
    /// where allowed, `SearchIndexUse.rebuildIfStale`), with the query prompt.
    func openSearcher() throws -> ShardedSearcher {
        let searcher = try ShardedSearcher(
            databasePaths: db, quantized: quantized,
            model: model.map { StoreModelLocation(modelPath: $0, adapterPath: adapter) })
        searcher.queryPrompt = try prompts.resolve(searcher.encoder.directory, role: .query)
        return searcher
    }

    /// The results for `query`. When a hit shows a store's index file damaged (`SearchError.damagedIndex`)
    /// and the file may be written again (as `rebuildIfStale` writes it: the database and its directory
    /// writable), the file is deleted, the stores are opened again (which writes it from the database),
    /// with a note, and the query is searched once more; otherwise the error ends the command.
    func search(_ query: String, mode: SearchMode, with searcher: inout ShardedSearcher) throws -> [SearchResult] {
        do {
            return try searcher.search(query, k: k, threads: threads, mode: mode)
        } catch SearchError.damagedIndex(let path, let reason) {
            let damaged = searcher.shards.first { VectorIndexFile.path(forDatabase: $0.databasePath) == path }
            guard let database = damaged?.databasePath, Searcher.mayWriteIndex(ofDatabase: database), unlink(path) == 0 else {
                throw SearchError.damagedIndex(path: path, reason: reason)
            }
            searcher = try openSearcher()
            let why = "\(path): the index file does not match the database (\(reason))"
            for shard in searcher.shards where shard.databasePath == database {
                if case .rebuilt = shard.indexOutcome {
                    Self.note("search: \(why); written again\n")
                } else {
                    Self.note("search: \(why); deleted\n")
                    Self.reportIndex(shard.indexOutcome)
                }
            }
            return try searcher.search(query, k: k, threads: threads, mode: mode)
        }
    }

    /// A note on standard error when the index file was not simply mapped.
    static func reportIndex(_ outcome: SearchIndexOutcome) {
        let note: String
        switch outcome {
        case .mapped, .readFromDatabase(nil):
            return
        case .rebuilt(let why):
            note = "search: \(why); written again\n"
        case .readFromDatabase(let why?):
            note = "search: \(why); searching the vectors read from the database instead (slower at scale; a search "
                + "or encode that may write beside the database writes the index file again)\n"
        }
        Self.note(note)
    }

    /// `text` on standard error, control characters escaped.
    static func note(_ text: String) {
        FileHandle.standardError.write(Data(TerminalText.escaped(text, keepNewlines: true).utf8))
    }

    /// {"query":...,"results":[{"id":...,"score":...,"text":...}]} and a newline.
    static func appendJSON(query: String, results: [SearchResult], to out: inout OutputBuffer) {
        out.append("{\"query\":")
        out.append(jsonString: query)
        out.append(",\"results\":[")
        for (i, r) in results.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append("{\"id\":")
            out.append(jsonString: r.id)
            out.append(",\"score\":")
            out.append(float: r.score)
            out.append(",\"text\":")
            out.append(jsonString: r.text)
            out.append(UInt8(ascii: "}"))
        }
        out.append("]}\n")
    }

    /// Title and text on one line, runs of whitespace collapsed, cut to `limit` characters with "…".
    static func snippet(title: String?, text: String, limit: Int = 80) -> String {
        let whole = [title, text].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " — ")
        let words = TerminalText.escaped(whole.split(whereSeparator: \.isWhitespace).joined(separator: " "))
        return words.count <= limit ? words : String(words.prefix(limit - 1)) + "…"
    }
}
