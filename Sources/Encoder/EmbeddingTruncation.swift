import Kernels

/// Matryoshka truncation at inference, as OpenAI's `dimensions` parameter defines it: keep the
/// first `dimensions` values of the model's embedding, then L2-normalise them
/// (`torch.nn.functional.normalize(x[:, :dimensions], p=2, dim=1)`). Models trained with
/// sentence-transformers' `MatryoshkaLoss` front-load their information, so the prefix keeps most
/// of the retrieval quality at a fraction of the bytes.
///
/// Sizes: B rows (texts), C the model's embedding dimension, N `dimensions` (1...C).
public struct EmbeddingTruncation: Sendable, Equatable {
    /// N: values kept per embedding.
    public let dimensions: Int
    /// C: values the model produces per embedding.
    public let modelDimension: Int

    /// Throws when `dimensions` is not in 1...`modelDimension`.
    public init(dimensions: Int, modelDimension: Int) throws(EmbeddingDimensionsError) {
        guard modelDimension > 0, (1...modelDimension).contains(dimensions) else {
            throw EmbeddingDimensionsError(requested: dimensions, modelDimension: modelDimension)
        }
        self.dimensions = dimensions
        self.modelDimension = modelDimension
    }

    /// The truncation that `dimensions` asks of a model with `modelDimension`-value embeddings, or
    /// nil when it would change nothing: all of them, from a model whose outputs are already unit
    /// vectors (`modelNormalizes`). The model's own output then passes through untouched
    /// (bit-identical), and a store written without truncation accepts it.
    public static func requested(
        _ dimensions: Int?, modelDimension: Int, modelNormalizes: Bool
    ) throws(EmbeddingDimensionsError) -> EmbeddingTruncation? {
        guard let dimensions else { return nil }
        let truncation = try EmbeddingTruncation(dimensions: dimensions, modelDimension: modelDimension)
        return dimensions == modelDimension && modelNormalizes ? nil : truncation
    }

    /// out[b] = normalize(inp[b, 0..<N]). `out` may alias `inp` (rows are read before they are
    /// overwritten, front to back).
    public func apply(
        out: UnsafeMutablePointer<Float>,  // (B, N)
        inp: UnsafePointer<Float>,  // (B, C)
        rows b: Int
    ) {
        let n = dimensions, c = modelDimension
        var norm: Float = 0
        for row in 0..<b {
            let o = out + row * n, x = inp + row * c
            if o != UnsafeMutablePointer(mutating: x) { o.update(from: x, count: n) }
            L2Normalize.forward(out: o, norms: &norm, inp: o, b: 1, c: n)
        }
    }

    /// (B, C) row-major embeddings → (B, N).
    public func apply(_ embeddings: [Float]) -> [Float] {
        precondition(embeddings.count % modelDimension == 0, "\(embeddings.count) values are not rows of \(modelDimension)")
        let b = embeddings.count / modelDimension
        var out = [Float](repeating: 0, count: b * dimensions)
        out.withUnsafeMutableBufferPointer { o in
            embeddings.withUnsafeBufferPointer { x in
                guard let o = o.baseAddress, let x = x.baseAddress else { return }
                apply(out: o, inp: x, rows: b)
            }
        }
        return out
    }
}

/// A truncation to a number of dimensions the model cannot give: fewer than 1, or more than its
/// embeddings have.
public struct EmbeddingDimensionsError: Error, Equatable, CustomStringConvertible {
    public var requested: Int
    public var modelDimension: Int

    public var description: String {
        "dimensions \(requested) is out of range: the model's embeddings have \(modelDimension) values, "
            + "so it must be in 1...\(modelDimension)"
    }
}
