import Foundation
import Testing
@testable import Encoder

/// `SentenceEncoder.truncated(to:)` / `dimensions:` (Matryoshka truncation, OpenAI's `dimensions`):
/// the first N values of the full embedding, L2-normalised; without it, nothing changes.
struct EmbeddingTruncationTests {
    static let texts = [
        "A man is playing a guitar.", "", "The weather is cold today", "the city of washington is on the river",
        "Ein Mann spielt Gitarre — déjà vu",
    ]

    /// The reference: slice each row of the full (count, C) embeddings to n values and divide by the
    /// slice's norm (computed in Double).
    static func sliceAndNormalise(_ full: [Float], modelDimension c: Int, keep n: Int) -> [[Double]] {
        (0..<(full.count / c)).map { row in
            let slice = full[(row * c)..<(row * c + n)].map(Double.init)
            let norm = slice.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return slice.map { $0 / norm }
        }
    }

    @Test(arguments: [1, 8, 16, 31])
    func truncationEqualsSliceThenNormaliseOfTheFullEmbedding(_ n: Int) throws {
        let full = try SentenceEncoder(modelDirectory: Fixtures.tinyBert)
        let truncated = try full.truncated(to: n)
        #expect(truncated.dimension == n && truncated.modelDimension == 32 && full.dimension == 32)
        let truncation = try EmbeddingTruncation(dimensions: n, modelDimension: 32)
        #expect(truncated.truncation == truncation)
        let fullVectors = full.encode(Self.texts)
        let vectors = truncated.encode(Self.texts, batchSize: 2)
        #expect(vectors.count == Self.texts.count * n)
        let expected = Self.sliceAndNormalise(fullVectors, modelDimension: 32, keep: n)
        for (row, reference) in expected.enumerated() {
            let got = vectors[(row * n)..<((row + 1) * n)]
            let difference = zip(got, reference).reduce(0.0) { max($0, abs(Double($1.0) - $1.1)) }
            #expect(difference <= 1e-6, "row \(row): \(difference)")
            let norm = got.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            #expect(abs(norm - 1) <= 1e-6, "row \(row) has norm \(norm)")
        }
        // The loading initialiser truncates the same way.
        let loaded = try SentenceEncoder(modelDirectory: Fixtures.tinyBert, dimensions: n)
        #expect(loaded.encode(Self.texts, batchSize: 2) == vectors)
        #expect(loaded.fingerprint == truncated.fingerprint)
    }

    @Test func withoutTruncationTheOutputsAreBitIdentical() throws {
        let plain = try SentenceEncoder(modelDirectory: Fixtures.tinyBert)
        let reference = plain.encode(Self.texts).map(\.bitPattern)
        let unset = try SentenceEncoder(modelDirectory: Fixtures.tinyBert, dimensions: nil)
        #expect(unset.truncation == nil && unset.dimension == 32)
        #expect(unset.encode(Self.texts).map(\.bitPattern) == reference)
        #expect(unset.fingerprint == plain.fingerprint)
        // All 32 values of a normalising model is no truncation at all: the same object, vectors and fingerprint.
        let all = try plain.truncated(to: 32)
        #expect(all === plain && all.truncation == nil)
        #expect(try plain.truncated(to: nil) === plain)
        // And back from a truncated encoder.
        let back = try plain.truncated(to: 8).untruncated
        #expect(back.truncation == nil && back.fingerprint == plain.fingerprint)
        #expect(back.encode(Self.texts).map(\.bitPattern) == reference)
    }

    @Test func allTheValuesOfAModelThatDoesNotNormaliseAreNormalised() throws {
        #expect(try EmbeddingTruncation.requested(32, modelDimension: 32, modelNormalizes: true) == nil)
        #expect(try EmbeddingTruncation.requested(nil, modelDimension: 32, modelNormalizes: false) == nil)
        let raw = try #require(try EmbeddingTruncation.requested(32, modelDimension: 32, modelNormalizes: false))
        let rows: [Float] = [3, 4] + [Float](repeating: 0, count: 30) + [0, 0, 2] + [Float](repeating: 0, count: 29)
        let expected: [Float] = [0.6, 0.8] + [Float](repeating: 0, count: 30) + [0, 0, 1] + [Float](repeating: 0, count: 29)
        #expect(maxAbsDifference(raw.apply(rows), expected) <= 1e-7)
        let two = try EmbeddingTruncation(dimensions: 2, modelDimension: 3)
        let truncated = two.apply([3, 4, 100, 0, -2, 7])
        #expect(truncated.count == 4 && maxAbsDifference(truncated, [0.6, 0.8, 0, -1]) <= 1e-7)
    }

    @Test(arguments: [0, -1, 33, 10_000])
    func dimensionsOutsideOneToTheModelsDimensionAreRefused(_ n: Int) throws {
        let encoder = try SentenceEncoder(modelDirectory: Fixtures.tinyBert)
        let expected = EmbeddingDimensionsError(requested: n, modelDimension: 32)
        #expect(throws: expected) { try encoder.truncated(to: n) }
        #expect(throws: expected) { try SentenceEncoder(modelDirectory: Fixtures.tinyBert, dimensions: n) }
        #expect(expected.description.contains("\(n)") && expected.description.contains("1...32"))
    }

    /// Stores written before truncation existed recorded `description` of a fingerprint without
    /// one: an untruncated encoder must give exactly that string, and a truncated one another.
    @Test func theFingerprintNamesTheTruncationAndOnlyWhenThereIsOne() throws {
        let encoder = try SentenceEncoder(modelDirectory: Fixtures.tinyBert)
        let f = encoder.fingerprint
        let hex = String(f.weightsHash, radix: 16)
        let before = "w\(String(repeating: "0", count: 16 - hex.count) + hex)-mean-norm-len48-dim32"
        #expect(f.truncation == nil)
        #expect(f.description == before)
        let truncated = try encoder.truncated(to: 8)
        #expect(truncated.fingerprint.description == before + "-trunc8")
        #expect(try encoder.truncated(to: 16).fingerprint.description == before + "-trunc16")
        // A fingerprint serialised without the field decodes as untruncated.
        let json = #"{"weightsHash":\#(f.weightsHash),"pooling":"mean","normalize":true,"maxLength":48,"dimension":32}"#
        #expect(try JSONDecoder().decode(ModelFingerprint.self, from: Data(json.utf8)) == f)
    }
}
