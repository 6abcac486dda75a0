/// Reciprocal rank fusion (Cormack, Clarke and Büttcher, 2009): a document's fused score is
/// Σ_lists weight / (k + rank), rank counted from 1 in each list where it appears. The hybrid
/// search of `search --mode hybrid`, `POST /search` and `eval --mode hybrid`.
public struct RankFusion: Sendable, Equatable {
    /// The constant k of the formula (60 in the paper and in most hybrid search engines).
    public var k: Double
    /// Weight of each list (vector, lexical).
    public var weights: [Double]

    public init(k: Double = 60, weights: [Double] = [1, 1]) {
        self.k = k
        self.weights = weights
    }

    /// Why these values cannot rank, or nil when they can: k finite and > 0 (each term then finite and
    /// falling with rank), every weight finite and >= 0, and some weight > 0.
    public var fault: Fault? {
        guard k.isFinite, k > 0 else { return .k }
        if let list = weights.firstIndex(where: { !($0.isFinite && $0 >= 0) }) { return .weight(list: list) }
        guard weights.contains(where: { $0 > 0 }) else { return .noPositiveWeight }
        return nil
    }

    /// A value of `RankFusion` that cannot rank.
    public enum Fault: Sendable, Equatable {
        /// k is not finite, or not > 0.
        case k
        /// The weight of list `list` (0: vector, 1: lexical) is not finite, or negative.
        case weight(list: Int)
        /// Every weight is 0.
        case noPositiveWeight
    }

    /// The fused order of `lists` (each best first; a key at most once per list): (key, fused score),
    /// best first; equal scores keep the order of first appearance (list by list).
    public func fuse<Key: Hashable>(_ lists: [[Key]]) -> [(key: Key, score: Double)] {
        var scores: [Key: Double] = [:]
        var order: [Key] = []
        for (list, keys) in lists.enumerated() {
            let weight = list < weights.count ? weights[list] : 1
            for (rank, key) in keys.enumerated() {
                if scores[key] == nil { order.append(key) }
                scores[key, default: 0] += weight / (k + Double(rank + 1))
            }
        }
        let first = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        return order.map { (key: $0, score: scores[$0] ?? 0) }
            .sorted { $0.score != $1.score ? $0.score > $1.score : (first[$0.key] ?? 0) < (first[$1.key] ?? 0) }
    }
}
