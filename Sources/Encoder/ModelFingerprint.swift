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
    /// The format of the encoder's matrix products; nil means fp32 and adds nothing to `description`,
    /// so float32 fingerprints are the ones written before reduced precision existed.
    public var precision: InferencePrecision?

    public init(
        weightsHash: UInt64, pooling: String, normalize: Bool, maxLength: Int, dimension: Int, truncation: Int? = nil,
        precision: InferencePrecision = .fp32
    ) {
        self.weightsHash = weightsHash
        self.pooling = pooling
        self.normalize = normalize
        self.maxLength = maxLength
        self.dimension = dimension
        self.truncation = truncation
        self.precision = precision == .fp32 ? nil : precision
    }

    /// `w<hash>-<pooling>-<norm|raw>-len<max length>-dim<model dimension>`, `-trunc<N>` when
    /// truncated to N values, and `-bf16` or `-int8` in reduced precision.
    public var description: String {
        let hex = String(weightsHash, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        let full = "w\(padded)-\(pooling)-\(normalize ? "norm" : "raw")-len\(maxLength)-dim\(dimension)"
        let truncated = truncation.map { full + "-trunc\($0)" } ?? full
        return precision.map { truncated + "-\($0.rawValue)" } ?? truncated
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
