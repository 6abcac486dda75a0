import Datasets
import Foundation

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

    /// A JSONL file or a BEIR directory (with `split`), read by `PairData`.
    public static func load(_ url: URL, split: String = "train") throws(DataError) -> TrainingPairs {
        TrainingPairs(try PairData.load(path: url.path, split: split).pairs)
    }
}
