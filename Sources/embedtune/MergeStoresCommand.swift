import ArgumentParser
import Foundation
import Store

struct MergeStoresCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge-stores",
        abstract: "Combine shard stores (encode --shard) into one vector store (resumable).",
        discussion: """
            Every shard must record the same model (fingerprint, dimension, prompt); --db, when it exists,
            too. The shards' documents are copied in the order given, each shard in its row order, with their
            vectors' bytes unchanged, --batch-size rows per transaction: a merge killed at any moment is
            completed by running the same command again, and running it after a complete merge changes
            nothing. An id found in two shards is copied once when title, text and vector are identical, and
            is an error naming the id and both files otherwise. The int8 copy is recomputed when a shard
            has one; the lexical (FTS5) index and the search index file (DB.vectors) are written as `encode`
            writes them. A search over the merged store equals `search --db SHARD1 --db SHARD2 ...` over
            the shards in the same order.
            """)

    @Option(help: "The merged SQLite vector store (created if missing).") var db: String
    @Option(parsing: .unconditional, help: "Rows per transaction.") var batchSize: Int = 4096
    @Flag(help: "Print the summary as one JSON object.") var json = false
    @Argument(help: "The shard stores, in order.") var shards: [String] = []

    func validate() throws {
        guard !shards.isEmpty else { throw ValidationError("give the shard stores to merge after the options") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        for shard in shards where !FileManager.default.fileExists(atPath: shard) {
            throw ValidationError("\(shard): no such shard store")
        }
    }

    /// The line on standard error for a stage of the merge.
    static func note(_ event: StoreMergeEvent) -> String {
        switch event {
        case let .planned(count, rows): "merge-stores: \(rows) rows in \(count) shards\n"
        case let .copied(done, total): "merge-stores: \(done) of \(total) rows\n"
        case .quantizing(let rows): ProgressDisplay.finalStage("merge-stores", quantizing: true, rows: rows)
        case .indexing(let rows): ProgressDisplay.finalStage("merge-stores", quantizing: false, rows: rows)
        }
    }

    func run() throws {
        var merge = StoreMerge(outputPath: db, shardPaths: shards)
        merge.batchSize = batchSize
        let display = ProgressDisplay(label: "merge-stores")
        let summary = try merge.run { event in
            if case let .copied(done, total) = event {
                display.update(done: done, total: total, unit: "rows")
            } else {
                ProgressDisplay.write(Self.note(event))
            }
        }
        let seconds = display.elapsed
        if json {
            let record: [String: Any] = [
                "shards": summary.shards, "shard_rows": summary.shardRows, "copied": summary.copied,
                "already_present": summary.alreadyPresent, "stored": summary.stored, "quantized": summary.quantized,
                "index_written": summary.indexWritten, "seconds": seconds,
            ]
            try JSONRecord.print(record)
        } else {
            print(
                "\(TerminalText.escaped(db)): \(summary.copied) copied, \(summary.alreadyPresent) already present "
                    + "from \(summary.shards) shards; \(summary.stored) documents stored"
                    + String(format: "; %.1f s", seconds) + (summary.quantized ? "; int8 copy updated" : ""))
        }
    }
}
