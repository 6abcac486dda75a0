import Datasets
import Tensor

extension TrainingPairs {
    /// A seeded random `fraction` of the distinct anchors, with every pair of theirs, held out as a
    /// validation set (no anchor text is on both sides); the rest stays for training, in its order.
    /// At least one anchor is held out and at least one stays.
    public func holdingOut(fraction: Double, seed: UInt64) -> (training: TrainingPairs, validation: [TrainingPair]) {
        precondition(fraction > 0 && fraction < 1, "the held-out fraction lies in (0, 1)")
        var anchors: [String] = []
        var seen = Set<String>()
        for pair in pairs where seen.insert(pair.anchor).inserted { anchors.append(pair.anchor) }
        var rng = SplitMix64(seed: seed ^ 0x5EED_0F_4E1D_0A7A)
        anchors.shuffle(using: &rng)
        let count = min(max(1, Int((Double(anchors.count) * fraction).rounded())), anchors.count - 1)
        let heldOut = Set(anchors.prefix(count))
        let training = pairs.filter { !heldOut.contains($0.anchor) }
        let validation = pairs.filter { heldOut.contains($0.anchor) }
        return (TrainingPairs(training), validation)
    }
}
