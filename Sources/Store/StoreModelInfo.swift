/// What a vector store records about the model that wrote its vectors (the `meta` table).
///
/// `fingerprint` identifies the vectors' meaning: a hash of the base weights, the adapter, pooling,
/// normalisation, maximum length and Matryoshka truncation, computed by the encoder side. Two databases with different
/// fingerprints hold vectors that must never be compared, so a store refuses a second model.
public struct StoreModelInfo: Codable, Sendable, Equatable {
    public var fingerprint: String
    /// Model directory (Hugging Face layout) the vectors were encoded with; `search` loads it from here.
    public var modelPath: String
    /// PEFT adapter directory merged into the model, if any.
    public var adapterPath: String?
    /// Length of every stored vector (the truncation's when truncated, else the model's).
    public var dimension: Int
    /// The vectors are the first `truncation` values of the model's embeddings, L2-normalised
    /// (`EmbeddingTruncation`); nil: the full embeddings. Queries must be truncated alike.
    public var truncation: Int?
    public var maxLength: Int
    /// Pooling mode name as in sentence-transformers' `1_Pooling/config.json` ("mean", "cls", ...).
    public var pooling: String
    /// Whether the model L2-normalises its outputs (stored vectors then have unit norm).
    public var normalize: Bool
    /// The prompt prepended to every document before embedding (`ModelPrompts`), nil for none. Vectors
    /// made with another prompt are not comparable, so the store refuses them like another model's.
    public var documentPrompt: String?

    public init(
        fingerprint: String, modelPath: String, adapterPath: String?, dimension: Int, maxLength: Int,
        pooling: String, normalize: Bool, truncation: Int? = nil, documentPrompt: String? = nil
    ) {
        self.documentPrompt = documentPrompt
        self.fingerprint = fingerprint
        self.modelPath = modelPath
        self.adapterPath = adapterPath
        self.dimension = dimension
        self.maxLength = maxLength
        self.pooling = pooling
        self.normalize = normalize
        self.truncation = truncation
    }
}
