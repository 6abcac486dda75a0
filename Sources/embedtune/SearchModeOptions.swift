import ArgumentParser
import Retrieval
import Store

/// `--mode vector|lexical|hybrid` and the reciprocal-rank-fusion options (`FusionOptions`) of `search` and `eval`.
struct SearchModeOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "vector (cosine of the embeddings), lexical (BM25 over title and text, SQLite FTS5) or hybrid "
            + "(reciprocal rank fusion of the two lists).", valueName: "mode"))
    var mode: String = "vector"
    @OptionGroup var fusion: FusionOptions

    func validate() throws {
        guard SearchMode(name: mode) != nil else {
            throw ValidationError("--mode must be vector, lexical or hybrid, not \"\(mode)\"")
        }
    }

    /// The mode; hybrid lists `depth` deep (nil: `SearchMode.candidates(k:)`).
    func resolved(depth: Int? = nil) throws -> SearchMode {
        guard let mode = SearchMode(name: mode, fusion: fusion.fusion, depth: depth) else {
            throw ValidationError("--mode must be vector, lexical or hybrid, not \"\(mode)\"")
        }
        return mode
    }
}
