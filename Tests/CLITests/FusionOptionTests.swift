import Foundation
import Testing

/// `--rrf-k`, `--vector-weight` and `--lexical-weight`: the same options, rules and messages on
/// `search`, `eval` and `serve` (whose POST /search defaults they are).
@Suite struct FusionOptionTests {
    /// (option and value, text the refusal must hold).
    static let unusable: [([String], String)] = [
        (["--rrf-k", "0"], "--rrf-k must be a finite number > 0"),
        (["--rrf-k=-60"], "--rrf-k must be a finite number > 0"),
        (["--rrf-k", "inf"], "--rrf-k must be a finite number > 0"),
        (["--rrf-k", "nan"], "--rrf-k must be a finite number > 0"),
        (["--vector-weight=-1"], "--vector-weight must be a finite number >= 0"),
        (["--lexical-weight", "nan"], "--lexical-weight must be a finite number >= 0"),
        (["--vector-weight", "0", "--lexical-weight", "0"], "--vector-weight and --lexical-weight cannot both be 0"),
    ]

    @Test(arguments: unusable)
    func serveAndSearchRefuseAnUnusableValueNamingTheOption(_ option: [String], _ message: String) throws {
        let commands = [
            ["serve", "--model", Repository.tinyModel.path, "--port", "0"],
            ["search", "--db", "never-opened.db", "river"],
            ["eval", "--model", Repository.tinyModel.path, "--data", "never-read", "--mode", "hybrid"],
        ]
        for command in commands {
            let result = try runEmbedTune(command + option)
            #expect(result.status == 64, "\(command[0]) \(option): status \(result.status)")
            #expect(result.stderr.contains(message), "\(command[0]) \(option): \(result.stderr)")
        }
    }

    @Test func serveHelpListsTheFusionOptionsAndTheRequestFields() throws {
        let result = try runEmbedTune(["serve", "--help"])
        #expect(result.status == 0, "\(result.stderr)")
        for text in ["--rrf-k", "--vector-weight", "--lexical-weight", "rrf_k", "vector_weight", "lexical_weight"] {
            #expect(result.stdoutText.contains(text), "serve --help lacks \(text)")
        }
    }
}
