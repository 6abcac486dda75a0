import ArgumentParser
import Encoder
import Foundation
import Retrieval
import Store

struct MineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mine",
        abstract: "Mine hard negatives for (anchor, positive) pairs, as sentence-transformers' mine_hard_negatives.",
        discussion: """
            Every distinct anchor and every candidate document is embedded with the frozen model (--adapter
            merged); the candidates are ranked by exact cosine similarity. The anchor's own text and all of
            its positives (by text, and by document id for BEIR data) are never its negatives. Of the best
            --range-max candidates, the margin and score filters remove some, the first --range-min of the rest
            are skipped, and --num-negatives are kept: the best ones (--sampling top) or a seeded random draw
            (--sampling random). An anchor left with fewer than --num-negatives candidates yields no rows.

            The defaults are a good general recipe, NV-Retriever's "TopK-PercPos" (arXiv 2407.15831): the
            candidates ranked just below the positive are often unlabelled positives (false negatives), so
            the relative margin skips any candidate scoring above 95% of the positive's score (--relative-margin
            0.05, against the anchor's least similar positive); top sampling then takes the hardest negatives
            that remain. Without a filter, --range-max defaults to range-min + n + (most positives of one
            anchor); with a margin or --max-score, to range-min + 10 n + (most positives), so that enough
            candidates survive.

            --data is JSONL with "anchor" and "positive", or a BEIR directory (--split). The candidates are
            --corpus (BEIR corpus.jsonl, JSONL id/text, or one document per line), or the documents of --db,
            a store written by `encode` with the same model and adapter (its vectors are reused), plus the
            positives; without either, a BEIR directory's own corpus.jsonl, or for JSONL the positives.
            --output gets one JSON line per distinct (anchor, positive) pair kept, in input order:
            {"anchor":...,"positive":...,"negative_1":...,...,"negative_n":...} (the n-tuple format `train`
            reads). The file is replaced only when complete. A summary goes to standard error.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup(title: "Prompts (of the anchors; corpus documents get the model's document prompt)") var prompts: PromptOptions
    @Option(help: "Pairs: JSONL with anchor and positive, or a BEIR directory.") var data: String
    @Option(help: "qrels split of a BEIR --data directory.") var split: String = "train"
    @Option(help: "Candidate documents: BEIR corpus.jsonl, JSONL id/text, or text lines.") var corpus: String?
    @Option(help: "A vector store encoded by the same model: its documents are the candidates.") var db: String?
    @Option(help: "Where to write the mined n-tuples (JSONL).") var output: String
    @Option(parsing: .unconditional, help: "Negatives per anchor.") var numNegatives: Int = 1
    @Option(parsing: .unconditional, help: "Skip the first N surviving candidates.") var rangeMin: Int = 0
    @Option(parsing: .unconditional, help: "Candidates ranked per anchor (default: derived, see above).") var rangeMax: Int?
    @Option(parsing: .unconditional, help: "Skip candidates scoring above this.") var maxScore: Float?
    @Option(parsing: .unconditional, help: "Skip candidates scoring below this.") var minScore: Float?
    @Option(parsing: .unconditional, help: "Skip candidates with score + M > positive score (default: off).") var absoluteMargin: Margin = .off
    @Option(parsing: .unconditional, help: "Skip candidates with score > positive - |positive| * M; 'off' disables.") var relativeMargin: Margin = .value(0.05)
    @Option(help: "top (the hardest remaining) or random.") var sampling: String = "top"
    @Option(parsing: .unconditional, help: "Seed of --sampling random.") var seed: UInt64 = 42
    @Option(parsing: .unconditional, help: "Sequences per forward pass.") var batchSize: Int = 32
    @Flag(help: "Add a \"scores\" list (positive, then each negative) to every row.") var outputScores = false

    /// A margin, or `off` (sentence-transformers' None).
    enum Margin: ExpressibleByArgument, Equatable {
        case off
        case value(Float)

        init?(argument: String) {
            if ["off", "none"].contains(argument.lowercased()) {
                self = .off
            } else if let value = Float(argument) {
                self = .value(value)
            } else {
                return nil
            }
        }

        var defaultValueDescription: String {
            switch self {
            case .off: "off"
            case .value(let v): "\(v)"
            }
        }

        var number: Float? {
            if case .value(let v) = self { return v }
            return nil
        }
    }

    var options: HardNegativeMiningOptions {
        var o = HardNegativeMiningOptions()
        o.numNegatives = numNegatives
        o.rangeMin = rangeMin
        o.rangeMax = rangeMax
        o.maxScore = maxScore
        o.minScore = minScore
        o.absoluteMargin = absoluteMargin.number
        o.relativeMargin = relativeMargin.number
        o.sampling = NegativeSampling(rawValue: sampling) ?? .top
        o.seed = seed
        return o
    }

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard NegativeSampling(rawValue: sampling) != nil else { throw ValidationError("--sampling must be top or random") }
        if corpus != nil && db != nil { throw ValidationError("give --corpus or --db, not both") }
        // Every check that does not depend on the data (the derived --range-max always fits).
        do { try options.validate(maxPositives: 1) } catch { throw ValidationError(error.description) }
    }

    func run() throws {
        let inputs = [("--data", data), ("--corpus", corpus), ("--db", db), ("--model", model.model), ("--adapter", model.adapter)]
        try OutputDirectoryCheck.apart(output: output, inputs: inputs.compactMap { o, p in p.map { (o, $0) } })
        try OutputDirectoryCheck.directoryExists(for: output)
        let (pairs, dataCorpus) = try MiningData.loadPairs(path: data, split: split)
        let encoder = try model.loadEncoder()
        let queryPrompt = try prompts.resolve(encoder.directory, role: .query)
        let documentPrompt = try encoder.directory.prompts.resolve(prompt: nil, name: nil, role: .document)
        var documents = dataCorpus ?? []
        var stored: VectorMatrix?
        if let db {
            (documents, stored) = try MiningData.loadStore(
                path: db, fingerprint: encoder.fingerprint.description, documentPrompt: documentPrompt)
        } else if let corpus {
            documents = try MiningData.loadCorpus(path: corpus)
        }

        var miner = HardNegativeMiner(options: options)
        miner.threads = model.threads
        var embedder = EncoderEmbedder(encoder: encoder, batchSize: batchSize, threads: model.threads)
        embedder.queryPrompt = queryPrompt
        embedder.documentPrompt = documentPrompt
        var display: (label: String, bar: ProgressDisplay)?
        func show(_ label: String, _ done: Int, _ total: Int, _ unit: String) {
            if display?.label != label { display = (label, ProgressDisplay(label: label)) }
            display?.bar.update(done: done, total: total, unit: unit)
        }
        let result = try miner.mine(pairs: pairs, corpus: documents, storedVectors: stored, embedder: embedder) { event in
            switch event {
            case let .encodingCorpus(done, total): show("mine: embedding corpus", done, total, "texts")
            case let .encodingAnchors(done, total): show("mine: embedding anchors", done, total, "texts")
            case let .searching(done, total): show("mine: searching", done, total, "anchors")
            }
        }
        try MinedRowsFile.write(result.rows, numNegatives: numNegatives, scores: outputScores,
                                to: URL(fileURLWithPath: output))
        ProgressDisplay.write(MiningReport(summary: result.summary, options: options, output: output).text)
    }
}
