/// An embedding holding a NaN or an infinity. A sound model never gives one, so its weights are at
/// fault (an adapter from a training run that diverged, damaged files); commands refuse to print or
/// store it, where a NaN would be invalid JSON or a vector that no search can rank.
public struct NonFiniteEmbedding: Error, CustomStringConvertible {
    /// Which input gave it, as the caller names it ("line 3 of standard input", "document \"d7\"").
    public let input: String

    public init(input: String) {
        self.input = input
    }

    public var description: String {
        "\(input): the model gives a non-finite embedding (NaN or infinity); its weights are damaged "
            + "or come from a training run that diverged"
    }

    /// The first row of `embeddings` (rows, dimension) holding a value that is not finite, or nil.
    public static func firstRow(_ embeddings: [Float], dimension: Int) -> Int? {
        guard dimension > 0 else { return nil }
        return embeddings.firstIndex { !$0.isFinite }.map { $0 / dimension }
    }
}
