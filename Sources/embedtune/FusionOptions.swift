import ArgumentParser
import Store

/// The reciprocal-rank-fusion options of hybrid ranking: `search` and `eval` (through
/// `SearchModeOptions`), and `serve`, where they are the defaults a `POST /search` may override.
struct FusionOptions: ParsableArguments {
    @Option(name: .customLong("rrf-k"), help: "Hybrid: the constant k of reciprocal rank fusion, score = Σ weight / (k + rank).")
    var rrfK: Double = 60
    @Option(parsing: .unconditional, help: "Hybrid: weight of the vector list.") var vectorWeight: Double = 1
    @Option(parsing: .unconditional, help: "Hybrid: weight of the lexical list.") var lexicalWeight: Double = 1

    var fusion: RankFusion { RankFusion(k: rrfK, weights: [vectorWeight, lexicalWeight]) }

    func validate() throws {
        switch fusion.fault {
        case nil:
            return
        case .k:
            throw ValidationError("--rrf-k must be a finite number > 0, not \(rrfK)")
        case .weight(list: 0):
            throw ValidationError("--vector-weight must be a finite number >= 0, not \(vectorWeight)")
        case .weight:
            throw ValidationError("--lexical-weight must be a finite number >= 0, not \(lexicalWeight)")
        case .noPositiveWeight:
            throw ValidationError("--vector-weight and --lexical-weight cannot both be 0")
        }
    }
}
