import Foundation
import Testing
import Tokenizer

/// Every string of the fixtures must give exactly Hugging Face `tokenizers`' ids.
@Suite struct GoldenTests {
    static func describe(_ text: String) -> String {
        text.unicodeScalars.prefix(80).map { $0.isASCII && $0.value >= 0x20 ? String($0) : String(format: "\\u{%X}", $0.value) }.joined()
    }

    static func maxLength(_ n: Int) -> Int? { n == 0 ? nil : n }

    @Test(arguments: ["uncased", "cased"], [false, true])
    func singlesMatchHuggingFace(variant: String, fromVocabTXT: Bool) throws {
        let cases = try Fixtures.decode(Fixtures.Cases.self, "cases.json")
        let golden = try Fixtures.decode(Fixtures.Golden.self, "golden_\(variant).json")
        let tokenizer = try Fixtures.tokenizer(variant, fromVocabTXT: fromVocabTXT)
        #expect(cases.singles.count >= 5000)
        #expect(golden.ids.count == cases.singles.count)
        #expect(tokenizer.maxLength == cases.default_max_length)
        var mismatches = 0
        for (i, text) in cases.singles.enumerated() where i < golden.ids.count {
            let n = Self.maxLength(cases.single_max_length[i])
            let ids = tokenizer.encodeIDs(text, maxLength: n)
            if ids != golden.ids[i] {
                mismatches += 1
                if mismatches <= 10 {
                    Issue.record("\(variant) #\(i) \"\(Self.describe(text))\": got \(ids.prefix(40)), expected \(golden.ids[i].prefix(40))")
                }
            }
            let full = tokenizer.encode(text, maxLength: n)
            #expect(full.ids == ids)
            #expect(full.tokens.count == ids.count && full.typeIds.allSatisfy { $0 == 0 })
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: ["uncased", "cased"])
    func offsetsMatchHuggingFace(variant: String) throws {
        let cases = try Fixtures.decode(Fixtures.Cases.self, "cases.json")
        let golden = try Fixtures.decode(Fixtures.Golden.self, "golden_\(variant).json")
        let tokenizer = try Fixtures.tokenizer(variant, fromVocabTXT: false)
        #expect(golden.offsets.count > 300)
        var mismatches = 0
        for (key, value) in golden.offsets {
            guard let i = Int(key) else { continue }
            let got = tokenizer.encode(cases.singles[i], maxLength: Self.maxLength(cases.single_max_length[i])).offsets
            let want = Fixtures.ranges(value)
            if got != want {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(variant) #\(i) \"\(Self.describe(cases.singles[i]))\": offsets \(got.prefix(12)) vs \(want.prefix(12))")
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test(arguments: ["uncased", "cased"])
    func pairsMatchHuggingFace(variant: String) throws {
        let cases = try Fixtures.decode(Fixtures.Cases.self, "cases.json")
        let golden = try Fixtures.decode(Fixtures.Golden.self, "golden_\(variant).json")
        let tokenizer = try Fixtures.tokenizer(variant, fromVocabTXT: false)
        #expect(golden.pair_ids.count == cases.pairs.count && !cases.pairs.isEmpty)
        var mismatches = 0
        for (i, pair) in cases.pairs.enumerated() where i < golden.pair_ids.count {
            let got = tokenizer.encode(pair[0], pair: pair[1], maxLength: Self.maxLength(cases.pair_max_length[i]))
            let offsetsMatch = i >= golden.pair_offsets.count || got.offsets == Fixtures.ranges(golden.pair_offsets[i])
            if got.ids != golden.pair_ids[i] || got.typeIds != golden.pair_type_ids[i] || !offsetsMatch {
                mismatches += 1
                if mismatches <= 5 {
                    Issue.record("\(variant) pair #\(i): got \(got.ids.prefix(30)) \(got.typeIds.prefix(30)) \(got.offsets.prefix(8)), expected \(golden.pair_ids[i].prefix(30)) \(golden.pair_type_ids[i].prefix(30))")
                }
            }
        }
        #expect(mismatches == 0)
    }
}
