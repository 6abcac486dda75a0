@testable import Datasets
import Foundation
import Testing
@testable import Training

/// The n-tuple layout of sentence-transformers' `mine_hard_negatives(output_format="n-tuple")`:
/// {"anchor", "positive", "negative_1", ..., "negative_n"}.
@Suite struct NTupleNegativesTests {
    @Test func numberedNegativeColumnsAreReadInNumberOrder() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("mined.jsonl", """
            {"negative_2": "dogs bark", "anchor": "what is a cat", "positive": "a small feline", "negative_1": "a large dog"}
            {"anchor": "what is a dog", "positive": "a large dog", "negative_1": "a small feline", "negative_2": "fish swim", "scores": [0.9, 0.5, 0.4]}
            """)
        let data = try TrainingPairs.load(file)
        #expect(data.pairs == [
            TrainingPair(anchor: "what is a cat", positive: "a small feline", negatives: ["a large dog", "dogs bark"]),
            TrainingPair(anchor: "what is a dog", positive: "a large dog", negatives: ["a small feline", "fish swim"]),
        ])
        #expect(data.negativeCount == 2)
        #expect(data.negativeKeys[0][1] == data.positiveKeys[0])  // "a small feline" as negative of row 2
    }

    @Test func aRowWithBothLayoutsIsAnErrorNamingFileAndLine() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("both.jsonl", """
            {"anchor": "a", "positive": "b", "negative_1": "c"}
            {"anchor": "a", "positive": "b", "negative": "c", "negative_1": "d"}
            """)
        #expect(throws: DataError.conflictingNegatives(
            file: file.path, line: 2, reason: "both \"negative\" and \"negative_1\"... columns")) {
            try TrainingPairs.load(file)
        }
    }

    @Test func aGapInTheNumberedColumnsIsAnErrorNamingFileAndLine() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("gap.jsonl", "{\"anchor\": \"a\", \"positive\": \"b\", \"negative_1\": \"c\", \"negative_3\": \"d\"}\n")
        #expect(throws: DataError.conflictingNegatives(
            file: file.path, line: 1, reason: "\"negative_2\" missing below \"negative_3\"")) {
            try TrainingPairs.load(file)
        }
    }

    @Test func aNumberedNegativeThatIsNotAStringIsAnError() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("type.jsonl", "{\"anchor\": \"a\", \"positive\": \"b\", \"negative_1\": 3}\n")
        #expect(throws: DataError.wrongType(file: file.path, line: 1, field: "negative_1", expected: "a string")) {
            try TrainingPairs.load(file)
        }
    }

    @Test func rowsWithDifferentNegativeCountsAreStillAnError() throws {
        let dir = try TemporaryDirectory()
        let file = try dir.write("uneven.jsonl", """
            {"anchor": "a", "positive": "b", "negative_1": "c", "negative_2": "d"}
            {"anchor": "e", "positive": "f", "negative_1": "g"}
            """)
        #expect(throws: DataError.inconsistentNegatives(file: file.path, line: 2, expected: 2, found: 1)) {
            try TrainingPairs.load(file)
        }
    }
}
