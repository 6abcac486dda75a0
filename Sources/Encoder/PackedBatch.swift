/// A batch of B token sequences packed one after another with no padding: N = sum of lengths tokens.
/// Linear layers run over all N tokens at once; attention runs within each sequence, which equals
/// BERT's padded attention with its padding mask on the real tokens.
public struct PackedBatch: Sendable, Equatable {
    public var ids: [Int32] = []  // (N)
    public var typeIds: [Int32] = []  // (N)
    public var positions: [Int32] = []  // (N) 0..<L_b within each sequence
    public var offsets: [Int] = [0]  // (B + 1) start of each sequence; offsets[B] == N

    public init() {}

    /// Packs sequences; `typeIds` default to 0 for every token.
    public init(sequences: [[Int32]], typeIds: [[Int32]]? = nil) {
        for (s, seq) in sequences.enumerated() { append(seq, typeIds: typeIds?[s]) }
    }

    public mutating func append(_ sequence: [Int32], typeIds types: [Int32]? = nil) {
        precondition(types == nil || types?.count == sequence.count, "token type ids must match the ids")
        ids.append(contentsOf: sequence)
        typeIds.append(contentsOf: types ?? Array(repeating: 0, count: sequence.count))
        positions.append(contentsOf: (0..<sequence.count).map { Int32($0) })
        offsets.append(ids.count)
    }

    public var batchSize: Int { offsets.count - 1 }
    public var tokenCount: Int { ids.count }
    public func length(_ b: Int) -> Int { offsets[b + 1] - offsets[b] }
}
