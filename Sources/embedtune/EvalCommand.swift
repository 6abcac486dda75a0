import ArgumentParser
import Encoder
import Foundation
import Retrieval

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Retrieval quality of a model on a BEIR dataset (nDCG@10, MRR@10, recall@10/100, MAP@100).",
        discussion: """
            Encodes the corpus (title + " " + text) and the queries, runs exact cosine search, and computes
            trec_eval / pytrec_eval metrics over the queries of qrels/<split>.tsv; a document whose id
            equals the query's id is ignored, as BEIR does. --mode lexical ranks by BM25 over title and text
            (SQLite FTS5, Porter stemming; no embeddings needed), --mode hybrid by reciprocal rank fusion of
            the vector and lexical top-100 lists.
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var truncation: DimensionsOption
    @OptionGroup(title: "Query prompt (default: the model's query prompt; documents get its document prompt)") var prompts: PromptOptions
    @Option(help: "BEIR directory: corpus.jsonl, queries.jsonl, qrels/<split>.tsv.") var data: String
    @Option(help: "qrels split.") var split: String = "test"
    @Option(parsing: .unconditional, help: "Sequences per forward pass.") var batchSize: Int = 32
    @Flag(help: "Print one JSON object.") var json = false
    @OptionGroup(title: "Ranking") var ranking: SearchModeOptions

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() throws {
        let encoder = try truncation.apply(to: model.loadEncoder(precision: precision.precision ?? .fp32))
        var evaluation = try RetrievalEvaluation(directory: URL(fileURLWithPath: data), split: split)
        evaluation.batchSize = batchSize
        evaluation.prompts = (try prompts.resolve(encoder.directory, role: .query),
                              try encoder.directory.prompts.resolve(prompt: nil, name: nil, role: .document))
        let display = ProgressDisplay(label: "encode corpus")
        let report = try evaluation.evaluate(encoder, threads: model.threads, mode: try ranking.resolved()) { p in
            display.update(done: p.completed, total: p.total, unit: "docs")
        }
        let names = IRMetric.standard.map(\.name)
        if json {
            let body = names.map { "\"\($0)\":\(report.means[$0] ?? 0)" }.joined(separator: ",")
            print("{\(body)}")
        } else {
            print("\(report.queryCount) queries, \(evaluation.dataset.corpus.count) documents")
            for name in names { print(String(format: "%-11@ %.4f", name, report.means[name] ?? 0)) }
        }
    }
}

/// The evaluation `train --eval-data` runs at its evaluation steps.
enum TrainingEvaluation {
    static func evaluator(directory: String, split: String, threads: Int) throws -> (SentenceEncoder) throws -> [String: Double] {
        let evaluation = try RetrievalEvaluation(directory: URL(fileURLWithPath: directory), split: split)
        return { encoder in try evaluation.evaluate(encoder, threads: threads).means }
    }
}
