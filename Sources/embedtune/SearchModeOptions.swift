import ArgumentParser
import Retrieval
import Store

/// `--mode vector|lexical|hybrid` and the reciprocal-rank-fusion options of `search`, `serve` and `eval`.
struct SearchModeOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "vector (cosine of the embeddings), lexical (BM25 over title and text, SQLite FTS5) or hybrid "
            + "(reciprocal rank fusion of the two lists).", valueName: "mode"))
    var mode: String = "vector"
    @Option(name: .customLong("rrf-k"), help: "Hybrid: the constant k of reciprocal rank fusion, score = Σ weight / (k + rank).")
    var rrfK: Double = 60
    @Option(help: "Hybrid: weight of the vector list.") var vectorWeight: Double = 1
    @Option(help: "Hybrid: weight of the lexical list.") var lexicalWeight: Double = 1

    func validate() throws {
        guard SearchMode(name: mode) != nil else {
            throw ValidationError("--mode must be vector, lexical or hybrid, not \"\(mode)\"")
        }
        guard rrfK.isFinite, rrfK >= 0 else { throw ValidationError("--rrf-k must be a finite number >= 0") }
        for (name, value) in [("--vector-weight", vectorWeight), ("--lexical-weight", lexicalWeight)] {
            guard value.isFinite, value >= 0 else { throw ValidationError("\(name) must be a finite number >= 0") }
        }
        guard vectorWeight + lexicalWeight > 0 else { throw ValidationError("--vector-weight and --lexical-weight cannot both be 0") }
    }

    /// The mode; hybrid lists `depth` deep (nil: `SearchMode.candidates(k:)`).
    func resolved(depth: Int? = nil) throws -> SearchMode {
        guard let mode = SearchMode(
            name: mode, fusion: RankFusion(k: rrfK, weights: [vectorWeight, lexicalWeight]), depth: depth)
        else { throw ValidationError("--mode must be vector, lexical or hybrid, not \"\(mode)\"") }
        return mode
    }
}
