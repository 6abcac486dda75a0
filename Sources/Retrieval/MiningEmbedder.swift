import Encoder

/// Texts to embeddings for hard-negative mining. The miner needs nothing else of a model, so tests
/// can mine with hand-made vectors.
public protocol MiningEmbedder {
    var dimension: Int { get }
    /// (texts.count, dimension) row-major, in the order of `texts`; `progress(done)` reports how
    /// many texts are embedded so far.
    func embed(_ texts: [String], progress: (Int) -> Void) -> [Float]
}

/// The frozen `SentenceEncoder` as a mining embedder: texts sorted by length and packed into
/// batches of `batchSize`, as `embed` and `encode` do.
public struct EncoderEmbedder: MiningEmbedder {
    public let encoder: SentenceEncoder
    public var batchSize: Int
    public var threads: Int

    public init(encoder: SentenceEncoder, batchSize: Int = 32, threads: Int = 1) {
        self.encoder = encoder
        self.batchSize = batchSize
        self.threads = threads
    }

    public var dimension: Int { encoder.dimension }

    public func embed(_ texts: [String], progress: (Int) -> Void) -> [Float] {
        withoutActuallyEscaping(progress) { report in
            encoder.encode(texts, batchSize: batchSize, threads: threads) { report($0.completed) }
        }
    }
}
