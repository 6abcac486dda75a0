import Encoder

/// Texts to embeddings for hard-negative mining. The miner needs nothing else of a model, so tests
/// can mine with hand-made vectors.
public protocol MiningEmbedder {
    var dimension: Int { get }
    /// (texts.count, dimension) row-major, in the order of `texts`; `progress(done)` reports how
    /// many texts are embedded so far.
    func embed(_ texts: [String], progress: (Int) -> Void) -> [Float]
    /// The same for the texts of one side of retrieval (anchors are queries, candidates documents); the
    /// default ignores the role.
    func embed(_ texts: [String], role: PromptRole, progress: (Int) -> Void) -> [Float]
}

extension MiningEmbedder {
    public func embed(_ texts: [String], role: PromptRole, progress: (Int) -> Void) -> [Float] {
        embed(texts, progress: progress)
    }
}

/// The frozen `SentenceEncoder` as a mining embedder: texts sorted by length and packed into
/// batches of `batchSize`, as `embed` and `encode` do.
public struct EncoderEmbedder: MiningEmbedder {
    public let encoder: SentenceEncoder
    public var batchSize: Int
    public var threads: Int
    /// Prepended to anchors and to corpus documents (`ModelPrompts`).
    public var queryPrompt: String?
    public var documentPrompt: String?

    public init(encoder: SentenceEncoder, batchSize: Int = 32, threads: Int = 1) {
        self.encoder = encoder
        self.batchSize = batchSize
        self.threads = threads
    }

    public var dimension: Int { encoder.dimension }

    public func embed(_ texts: [String], role: PromptRole, progress: (Int) -> Void) -> [Float] {
        embed(ModelPrompts.apply(role == .query ? queryPrompt : documentPrompt, to: texts), progress: progress)
    }

    public func embed(_ texts: [String], progress: (Int) -> Void) -> [Float] {
        withoutActuallyEscaping(progress) { report in
            encoder.encode(texts, batchSize: batchSize, threads: threads) { report($0.completed) }
        }
    }
}
