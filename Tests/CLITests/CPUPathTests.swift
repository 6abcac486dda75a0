import Foundation
import Testing

/// EMBEDTUNE_CPU from the command line: every path the CPU has gives sentence-transformers' embeddings
/// of all-MiniLM-L6-v2 (the committed fixture), and a bad value is an error naming the variable.
struct CPUPathTests {
    static let paths = ["portable", "avx2", "avx512", "avx512-vnni", "avx512-bf16"]

    @Test func everyPathGivesTheReferenceEmbeddings() throws {
        let fixtures = Repository.root.appendingPathComponent("Tests/EncoderTests/Fixtures")
        let texts = try JSONDecoder().decode([String].self, from: Data(contentsOf: fixtures.appendingPathComponent("minilm_texts.json")))
        let raw = try Data(contentsOf: fixtures.appendingPathComponent("minilm_embeddings.bin"))
        let expected = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let dim = expected.count / texts.count
        let chosen = Array(texts.filter { !$0.contains("\n") && !$0.isEmpty }.prefix(40))
        let rows = chosen.map { text in texts.firstIndex(of: text)! }
        var ran = 0
        for path in Self.paths {
            let result = try runEmbedTune(["embed", "--model", Repository.miniLM.path], lines: chosen.joined(separator: "\n") + "\n",
                                          environment: ["EMBEDTUNE_CPU": path])
            if result.status != 0 {
                // Only a path this CPU lacks may be refused, and then by name.
                #expect(result.stderr.contains("EMBEDTUNE_CPU=\(path): this CPU lacks it"), "\(path): \(result.stderr)")
                continue
            }
            ran += 1
            let got = try parseEmbeddings(result, dim: dim)
            try #require(got.count == chosen.count)
            for (i, row) in rows.enumerated() {
                let want = Array(expected[row * dim..<(row + 1) * dim])
                let dot = zip(got[i], want).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let cosine = dot / (norm(got[i]) * norm(want))
                #expect(cosine >= 0.99999, "\(path): text \(row) cosine \(cosine)")
            }
        }
        #expect(ran >= 1, "no CPU path ran")
        let portable = try runEmbedTune(["embed", "--model", Repository.miniLM.path], lines: "x\n", environment: ["EMBEDTUNE_CPU": "portable"])
        #expect(portable.status == 0, "the portable path runs on every CPU: \(portable.stderr)")
    }

    @Test func anUnknownPathIsAnErrorNamingTheVariable() throws {
        let result = try runEmbedTune(["embed", "--model", Repository.tinyModel.path], lines: "x\n", environment: ["EMBEDTUNE_CPU": "sse9"])
        #expect(result.status != 0 && !result.signalled)
        #expect(result.stderr.contains("EMBEDTUNE_CPU=sse9: unknown CPU path"), "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }
}
