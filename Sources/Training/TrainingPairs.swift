import Foundation

/// One training example: an anchor, its positive, and zero or more hard negatives.
public struct TrainingPair: Sendable, Hashable {
    public var anchor: String
    public var positive: String
    public var negatives: [String]

    public init(anchor: String, positive: String, negatives: [String] = []) {
        self.anchor = anchor
        self.positive = positive
        self.negatives = negatives
    }
}

/// Training examples with integer identities of their texts (equal texts, equal keys, across anchors,
/// positives and negatives) for `InfoNCEKeys`.
///
/// Glossary: P = pairs, H = hard negatives per pair.
public struct TrainingPairs: Sendable {
    public let pairs: [TrainingPair]
    /// H: the same for every pair.
    public let negativeCount: Int
    public let anchorKeys: [Int]      // (P)
    public let positiveKeys: [Int]    // (P)
    public let negativeKeys: [[Int]]  // (H, P)
    /// K: distinct texts; keys are 0..<K.
    public let keyCount: Int

    public var count: Int { pairs.count }

    public init(_ pairs: [TrainingPair]) {
        let h = pairs.first?.negatives.count ?? 0
        precondition(pairs.allSatisfy { $0.negatives.count == h }, "every pair needs \(h) negatives")
        var keys: [String: Int] = [:]
        func key(_ text: String) -> Int {
            if let k = keys[text] { return k }
            keys[text] = keys.count
            return keys.count - 1
        }
        self.pairs = pairs
        negativeCount = h
        anchorKeys = pairs.map { key($0.anchor) }
        positiveKeys = pairs.map { key($0.positive) }
        negativeKeys = (0..<h).map { column in pairs.map { key($0.negatives[column]) } }
        keyCount = keys.count
    }

    /// The keys of the pairs at `indices`, in that order.
    public func keys<C: Collection<Int>>(batch indices: C) -> InfoNCEKeys {
        InfoNCEKeys(anchors: indices.map { anchorKeys[$0] }, positives: indices.map { positiveKeys[$0] },
                    negatives: negativeKeys.map { column in indices.map { column[$0] } })
    }

    /// A JSONL file (`loadJSONL`) or a BEIR directory (`loadBEIR` with `split`).
    public static func load(_ url: URL, split: String = "train") throws(TrainingDataError) -> TrainingPairs {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { throw .notFound(file: url.path) }
        return isDirectory.boolValue ? try loadBEIR(url, split: split) : try loadJSONL(url)
    }

    /// JSON Lines with the sentence-transformers column names: `anchor` and `positive` (strings) and
    /// optionally `negative` (a string or a list of strings) or `negative_1` ... `negative_n` (the
    /// n-tuple columns, see `JSONLine.negatives()`), the same count on every line. Other fields are
    /// ignored; blank lines are skipped.
    public static func loadJSONL(_ url: URL) throws(TrainingDataError) -> TrainingPairs {
        var pairs: [TrainingPair] = []
        var negativeCount: Int?
        for row in try JSONLine.objects(url) {
            let pair = TrainingPair(anchor: try row.string("anchor"), positive: try row.string("positive"),
                                    negatives: try row.negatives())
            if let expected = negativeCount, expected != pair.negatives.count {
                throw .inconsistentNegatives(file: row.file, line: row.line, expected: expected, found: pair.negatives.count)
            }
            negativeCount = pair.negatives.count
            pairs.append(pair)
        }
        if pairs.isEmpty { throw .noPairs(file: url.path) }
        return TrainingPairs(pairs)
    }
}
