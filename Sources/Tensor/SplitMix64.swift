/// SplitMix64 (Steele, Lea & Flood, 2014): the seeded generator behind every random choice in the
/// project — initialisation, shuffling, dropout — so that runs are reproducible.
public struct SplitMix64: RandomNumberGenerator, Sendable, Codable {
    public var state: UInt64

    /// What each draw adds to the state (2^64 over the golden ratio).
    static let increment: UInt64 = 0x9E37_79B9_7F4A_7C15

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= Self.increment
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The generator that, from `state`, has made `draw` draws: draw i depends on the state and i alone.
    public static func at(draw: Int, from state: UInt64) -> SplitMix64 {
        SplitMix64(seed: state &+ increment &* UInt64(draw))
    }

    /// A uniform Float in [0, 1) from the top 24 bits.
    public mutating func nextUniform() -> Float { Float(next() >> 40) * 0x1p-24 }
}
