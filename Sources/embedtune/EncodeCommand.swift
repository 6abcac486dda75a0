import ArgumentParser
import Encoder
import Foundation
import Retrieval
import Store

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode a corpus into a SQLite vector store (resumable).",
        discussion: """
            --input is a BEIR corpus.jsonl (_id, title, text; embedded as title + " " + text), JSONL with id and
            text, or plain text with one document per line (id = line number); .jsonl/.ndjson/.json names are
            read as JSONL, anything else as text (or say --format). The whole input is validated first: a bad
            line (invalid JSON, missing id or text, an id repeated) stops the run naming file:line before the
            database is touched; --skip-invalid reports such lines and skips them.
            The database records the model's fingerprint, --dimensions included, and refuses vectors of any other
            model or truncation (search then truncates queries alike). Documents
            already stored with the same content are skipped, changed ones re-encoded, the rest encoded
            --chunk-size at a time, each chunk committed in one transaction: a run killed at any moment is
            resumed by running the same command again. The int8 copy for `search --quantized` is recomputed
            with --quantize, and automatically when the database already had one and this run wrote vectors.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var truncation: DimensionsOption
    @OptionGroup var prompts: PromptOptions
    @Option(help: "The SQLite vector store (created if missing).") var db: String
    @Option(help: "The corpus file.") var input: String
    @Option(help: "Input format: jsonl or text (default: from the file name).") var format: String?
    @Option(parsing: .unconditional, help: "Sequences per forward pass.") var batchSize: Int = 32
    @Option(parsing: .unconditional, help: "Documents per transaction.") var chunkSize: Int = 1024
    @Flag(help: "Report invalid input lines on standard error and skip them.") var skipInvalid = false
    @Flag(help: "Recompute the int8 copy used by `search --quantized`.") var quantize = false
    @Flag(help: ArgumentHelp(
        "Delete stored documents whose ids are not in the input (after the whole input was read; one transaction; "
            + "refused when a line was skipped as invalid or the input is empty)."))
    var sync = false
    @Option(help: ArgumentHelp(
        "Encode only the documents whose 0-based input position is i modulo n (\"i/n\"); \"auto\": i and n from a "
            + "Slurm job array (SLURM_ARRAY_TASK_ID, _MIN, _STEP, _COUNT) or a Kubernetes Indexed Job "
            + "(JOB_COMPLETION_INDEX and --shard-count).", valueName: "i/n|auto"))
    var shard: String?
    @Option(help: "With --shard auto: the number of shards (required with JOB_COMPLETION_INDEX; checked against SLURM_ARRAY_TASK_COUNT).")
    var shardCount: Int?
    @Flag(help: "Print the summary as one JSON object.") var json = false

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard chunkSize > 0 else { throw ValidationError("--chunk-size must be positive") }
        if let format, format != "jsonl" && format != "text" { throw ValidationError("--format must be jsonl or text") }
        if let shard, shard != "auto" && Shard(parsing: shard) == nil {
            throw ValidationError("--shard must be i/n with 0 <= i < n, or auto")
        }
        if shardCount != nil && shard != "auto" { throw ValidationError("--shard-count goes with --shard auto") }
        if let shardCount, shardCount <= 0 { throw ValidationError("--shard-count must be positive") }
    }

    /// The shard of --shard: i/n as given, or for auto the scheduler's (noted on standard error).
    func resolvedShard() throws -> Shard? {
        guard let shard else { return nil }
        guard shard == "auto" else { return Shard(parsing: shard) }
        let resolved = try Shard.fromEnvironment(ProcessInfo.processInfo.environment, count: shardCount)
        ProgressDisplay.write("encode: --shard auto is shard \(resolved)\n")
        return resolved
    }

    func run() throws {
        let shard = try resolvedShard()
        // Packed at load: a document's vector is then the same bits whichever documents share its batch,
        // so shards (`--shard`) put together by merge-stores equal one encode.
        let encoder = try truncation.apply(to: model.loadEncoder(precision: precision.precision ?? .fp32, packing: .atLoad))
        let documentPrompt = try prompts.resolve(encoder.directory, role: .document)
        var job = EncodeJob(
            encoder: encoder,
            model: StoreModelInfo(encoder: encoder, modelPath: model.model, adapterPath: model.adapter, documentPrompt: documentPrompt),
            inputPath: input, databasePath: db)
        job.format = format.map { $0 == "jsonl" ? .jsonl : .plainText }
        job.batchSize = batchSize
        job.chunkSize = chunkSize
        job.threads = model.threads
        job.skipInvalid = skipInvalid
        job.shard = shard
        job.quantize = quantize
        job.sync = sync

        let display = ProgressDisplay(label: "encode")
        var encodeStart = 0.0
        let summary = try job.run { event in
            switch event {
            case .invalidLine(let error):
                ProgressDisplay.write("skipped \(error)\n")
            case .planned(let plan):
                encodeStart = display.elapsed
                ProgressDisplay.write(
                    "encode: \(plan.toEncode) to encode (\(plan.new) new, \(plan.updated) updated), "
                        + "\(plan.unchanged) unchanged\(plan.skippedInvalid > 0 ? ", \(plan.skippedInvalid) invalid lines skipped" : "")\n")
            case .committed(let done, let total):
                display.update(done: done, total: total, unit: "docs")
            case .quantizing(let rows):
                ProgressDisplay.write(ProgressDisplay.finalStage("encode", quantizing: true, rows: rows))
            case .indexing(let rows):
                ProgressDisplay.write(ProgressDisplay.finalStage("encode", quantizing: false, rows: rows))
            }
        }
        let seconds = display.elapsed
        let rate = Double(summary.committed) / max(seconds, 1e-9)  // validation and commits included
        if json {
            let record: [String: Any] = [
                "new": summary.new, "updated": summary.updated, "unchanged": summary.unchanged,
                "skipped_invalid": summary.skippedInvalid, "other_shards": summary.otherShards,
                "encoded": summary.committed, "deleted": summary.deleted, "stored": summary.stored, "quantized": summary.quantized,
                "seconds": seconds, "encode_seconds": seconds - encodeStart, "docs_per_s": rate,
            ]
            try JSONRecord.print(record)
        } else {
            print(
                "\(db): \(summary.new) new, \(summary.updated) updated, \(summary.unchanged) unchanged, "
                    + "\(summary.skippedInvalid) skipped-invalid"
                    + (summary.otherShards > 0 ? ", \(summary.otherShards) in other shards" : "")
                    + (sync ? ", \(summary.deleted) deleted" : "")
                    + "; \(summary.stored) documents stored"
                    + String(format: "; %.1f s, %.1f docs/s", seconds, rate)
                    + (summary.quantized ? "; int8 copy updated" : ""))
        }
    }
}
