import Tensor

/// The order in which one epoch visits the training pairs, cut into batches: a Fisher–Yates shuffle
/// driven by SplitMix64, seeded from (seed, epoch) alone, so that a resumed run rebuilds the same
/// batches from its checkpoint's epoch.
///
/// `dropLast` (default true) drops the final incomplete batch, as ../shared/bench/finetune_st.py does
/// (`len(pairs) // batch_size` steps per epoch); sentence-transformers' trainer keeps it unless
/// `dataloader_drop_last` is set. A batch of one pair has no in-batch negatives.
public struct BatchPlan: Sendable, Equatable {
    public let count: Int
    public let batchSize: Int
    public let seed: UInt64
    public let epoch: Int
    public let dropLast: Bool
    /// (count) a permutation of 0..<count.
    public let order: [Int]

    public init(count: Int, batchSize: Int, seed: UInt64, epoch: Int, dropLast: Bool = true) {
        precondition(count >= 0 && batchSize > 0 && epoch >= 0, "invalid batch plan: \(count) pairs, batches of \(batchSize), epoch \(epoch)")
        self.count = count
        self.batchSize = batchSize
        self.seed = seed
        self.epoch = epoch
        self.dropLast = dropLast
        var rng = SplitMix64(seed: Self.epochSeed(seed: seed, epoch: epoch))
        var order = Array(0..<count)
        var i = count - 1
        while i > 0 {
            order.swapAt(i, Self.uniform(upTo: UInt64(i), using: &rng))
            i -= 1
        }
        self.order = order
    }

    /// Batches per epoch.
    public static func batchCount(count: Int, batchSize: Int, dropLast: Bool = true) -> Int {
        dropLast ? count / batchSize : (count + batchSize - 1) / batchSize
    }

    public var batchCount: Int { Self.batchCount(count: count, batchSize: batchSize, dropLast: dropLast) }

    /// Indices of the pairs in batch `index` (0-based).
    public func batch(_ index: Int) -> ArraySlice<Int> {
        precondition(index >= 0 && index < batchCount, "batch \(index) of \(batchCount)")
        return order[(index * batchSize)..<min(count, (index + 1) * batchSize)]
    }

    public var batches: [ArraySlice<Int>] { (0..<batchCount).map(batch) }

    /// A generator seed for (seed, epoch): one SplitMix64 output, so that neighbouring epochs do not
    /// run along shifted copies of one stream.
    static func epochSeed(seed: UInt64, epoch: Int) -> UInt64 {
        var mixer = SplitMix64(seed: seed &+ UInt64(epoch) &* 0xD1B5_4A32_D192_ED03)
        return mixer.next()
    }

    /// A uniform integer in 0...bound by rejection (Lemire 2019, "Fast random integer generation in an
    /// interval"), spelled out so the shuffle does not depend on the standard library's choice.
    static func uniform(upTo bound: UInt64, using rng: inout SplitMix64) -> Int {
        let range = bound &+ 1
        if range == 0 { return Int(truncatingIfNeeded: rng.next()) }
        var product = rng.next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold { product = rng.next().multipliedFullWidth(by: range) }
        }
        return Int(product.high)
    }
}
