/// What makes two embeddings comparable: the weights actually used (base weights with any adapter
/// merged in), the pooling, the normalisation, the truncation length, and the Matryoshka truncation
/// of the embeddings, if any. Vectors written under one fingerprint must never be mixed with vectors
/// of another.
public struct ModelFingerprint: Sendable, Equatable, Codable, CustomStringConvertible {
    public var weightsHash: UInt64
    public var pooling: String
    public var normalize: Bool
    public var maxLength: Int
    /// The model's embedding dimension (before any truncation).
    public var dimension: Int
    /// Values kept of each embedding before L2-normalising again (`EmbeddingTruncation`); nil:
    /// the full embedding. nil adds nothing to `description`, so fingerprints of untruncated
    /// encoders are the ones written before truncation existed.
    public var truncation: Int?

    public init(
        weightsHash: UInt64, pooling: String, normalize: Bool, maxLength: Int, dimension: Int, truncation: Int? = nil
    ) {
        self.weightsHash = weightsHash
        self.pooling = pooling
        self.normalize = normalize
        self.maxLength = maxLength
        self.dimension = dimension
        self.truncation = truncation
    }

    /// `w<hash>-<pooling>-<norm|raw>-len<max length>-dim<model dimension>`, and `-trunc<N>` when
    /// truncated to N values.
    public var description: String {
        let hex = String(weightsHash, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let full = "w\(padded)-\(pooling)-\(normalize ? "norm" : "raw")-len\(maxLength)-dim\(dimension)"
        return truncation.map { full + "-trunc\($0)" } ?? full
    }

    /// A 64-bit hash of raw bytes: 8-byte words through a multiply–xorshift mixer, length included
    /// (`WeightsHasher`, which also takes the bytes in pieces). Not cryptographic; it tells model
    /// versions apart, it does not defend against forgery.
    public static func hash(_ bytes: UnsafeRawBufferPointer, seed: UInt64 = 0x243F_6A88_85A3_08D3) -> UInt64 {
        var hasher = WeightsHasher(byteCount: bytes.count, seed: seed)
        hasher.update(bytes)
        return hasher.finalize()
    }
}
