import Encoder
import Foundation

/// The guide model's embeddings of every distinct training text, computed once before training: the
/// guide is frozen (GISTEmbed, arXiv 2402.16829, uses it only to judge which in-batch candidates are
/// false negatives), so its view of a text never changes during a run. For `--guide base` with LoRA
/// this costs one forward pass over the data and no second copy of the weights during training.
///
/// Glossary: K = distinct texts (the keys of `TrainingPairs`), G = the guide's embedding dimension.
public struct GuideEmbeddings: Sendable {
    /// G
    public let dimension: Int
    /// (K, G) unit rows, row k the guide's embedding of the text with key k.
    let rows: [Float]

    /// rows (K, G), normalised here.
    init(rows: [Float], dimension: Int) {
        precondition(dimension > 0 && rows.count % dimension == 0, "guide rows must be (K, \(dimension))")
        var normalised = [Float](repeating: 0, count: rows.count)
        var norms = [Float](repeating: 0, count: rows.count / dimension)
        rows.withUnsafeBufferPointer { inp in
            normalised.withUnsafeMutableBufferPointer { out in
                norms.withUnsafeMutableBufferPointer { n in
                    RowNormalization.forward(out: out.start, norms: n.start, inp: inp.start,
                                             rows: rows.count / dimension, dimension: dimension)
                }
            }
        }
        self.rows = normalised
        self.dimension = dimension
    }

    /// Embeds `tokens[k]`, the token ids of the text with key k, with a frozen encoder.
    public init(encoder: SentenceEncoder, tokens: [[Int32]], threads: Int,
                progress: ((EncodingProgress) -> Void)? = nil) {
        let embedded = encoder.encode(tokenIDs: tokens, batchSize: 32, threads: threads, progress: progress)
        self.init(rows: embedded, dimension: encoder.dimension)
    }

    /// The guide's embeddings of one batch in loss order (anchors, positives, negative columns).
    public func batch(_ keys: InfoNCEKeys) -> GuideBatch {
        let order = keys.anchors + keys.positives + keys.negatives.joined()
        var out = [Float](repeating: 0, count: order.count * dimension)
        for (row, key) in order.enumerated() {
            for c in 0..<dimension { out[row * dimension + c] = rows[key * dimension + c] }
        }
        return GuideBatch(embeddings: out, dimension: dimension)
    }
}

/// The guide's unit embeddings of one batch, (S, G) in loss order: S = B (2 + H).
public struct GuideBatch: Sendable {
    public var embeddings: [Float]
    public var dimension: Int

    public init(embeddings: [Float], dimension: Int) {
        self.embeddings = embeddings
        self.dimension = dimension
    }
}

/// Which model guides the false-negative filtering.
public enum GuideModel: Codable, Sendable, Equatable {
    /// The base model as loaded, without the adapter being trained (or before full fine-tuning).
    case base
    /// Another model directory.
    case directory(String)

    /// `base` or a path, as `--guide` takes it.
    public init(argument: String) {
        self = argument == "base" ? .base : .directory(argument)
    }
}
