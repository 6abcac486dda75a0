import Kernels
import Tensor

/// `BertEmbeddings` (transformers' modeling_bert.py): dropout(LayerNorm(word + position + token type)),
/// over N packed tokens; positions restart at 0 for every sequence.
///
/// Sizes: N tokens, C hidden.
public enum BertEmbeddings {
    /// Inference: out (N, C); sum (N, C) holds the pre-LayerNorm sum.
    public static func forward(
        out: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>,
        ids: UnsafePointer<Int32>, typeIds: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
        weights w: FrozenBertWeights, n: Int
    ) {
        sumAndNormalize(
            out: out, sum: sum, mean: nil, rstd: nil, ids: ids, typeIds: typeIds, positions: positions,
            tables: (w.wordEmbeddings, w.positionEmbeddings, w.tokenTypeEmbeddings), norm: w.embeddingsLayerNorm,
            config: w.config, n: n)
    }

    /// Training: as the inference `forward`, keeping mean and rstd (N) for backward, then dropout
    /// (`dropMask` (N, C) is required when `dropout` > 0, its draws come from `rng`).
    public static func forward(
        out: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>,
        mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>, dropMask: UnsafeMutablePointer<Float>?,
        ids: UnsafePointer<Int32>, typeIds: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
        weights w: BertParameters, dropout: Float, rng: inout SplitMix64, n: Int
    ) {
        sumAndNormalize(
            out: out, sum: sum, mean: mean, rstd: rstd, ids: ids, typeIds: typeIds, positions: positions,
            tables: (UnsafePointer(w.wordEmbeddings), UnsafePointer(w.positionEmbeddings), UnsafePointer(w.tokenTypeEmbeddings)),
            norm: w.embeddingsLayerNorm, config: w.config, n: n)
        if dropout > 0 {
            guard let dropMask else { preconditionFailure("BertEmbeddings.forward: dropout needs a mask buffer") }
            Dropout.forward(out: out, mask: dropMask, inp: out, p: dropout, rng: &rng, count: n * w.config.hiddenSize)
        }
    }

    /// out = LayerNorm(word + position + token type), the sum kept in `sum`. Tables: word (V, C),
    /// position (maxP, C), token type (typeV, C).
    private static func sumAndNormalize(
        out: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>,
        mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        ids: UnsafePointer<Int32>, typeIds: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
        tables: (word: UnsafePointer<Float>, position: UnsafePointer<Float>, tokenType: UnsafePointer<Float>),
        norm: LayerNormParameters, config: BertConfig, n: Int
    ) {
        let c = config.hiddenSize
        sum.update(repeating: 0, count: n * c)
        Embedding.forward(out: sum, ids: ids, table: tables.word, n: n, c: c, vocabularySize: config.vocabSize)
        Embedding.forward(
            out: sum, ids: positions, table: tables.position, n: n, c: c,
            vocabularySize: config.maxPositionEmbeddings)
        Embedding.forward(
            out: sum, ids: typeIds, table: tables.tokenType, n: n, c: c, vocabularySize: config.typeVocabSize)
        LayerNorm.forward(
            out: out, mean: mean, rstd: rstd, inp: sum, weight: norm.weight, bias: norm.bias,
            n: n, c: c, eps: config.layerNormEps)
    }

    /// Gradients of `forward` into the LayerNorm parameters and the three tables, ACCUMULATED (+=).
    /// Only full fine-tuning calls this: with frozen embeddings nothing upstream needs a gradient.
    /// `scratch` (N, C) is overwritten.
    public static func backward(
        grads g: BertParameters, scratch: UnsafeMutablePointer<Float>, dout: UnsafePointer<Float>,
        sum: UnsafePointer<Float>, mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        dropMask: UnsafePointer<Float>?, ids: UnsafePointer<Int32>, typeIds: UnsafePointer<Int32>,
        positions: UnsafePointer<Int32>, weights w: BertParameters, dropout: Float, n: Int
    ) {
        let c = w.config.hiddenSize
        var dNormed = dout
        let masked = scratch
        if dropout > 0, let dropMask {
            masked.update(repeating: 0, count: n * c)
            Dropout.backward(dinp: masked, dout: dout, mask: dropMask, count: n * c)
            dNormed = UnsafePointer(masked)
        }
        let dSum = UnsafeMutablePointer<Float>.allocate(capacity: n * c)
        defer { dSum.deallocate() }
        dSum.initialize(repeating: 0, count: n * c)
        LayerNorm.backward(
            dinp: dSum, dweight: g.embeddingsLayerNorm.weight, dbias: g.embeddingsLayerNorm.bias, dout: dNormed,
            inp: sum, weight: w.embeddingsLayerNorm.weight, mean: mean, rstd: rstd, n: n, c: c)
        Embedding.backward(dtable: g.wordEmbeddings, dout: dSum, ids: ids, n: n, c: c)
        Embedding.backward(dtable: g.positionEmbeddings, dout: dSum, ids: positions, n: n, c: c)
        Embedding.backward(dtable: g.tokenTypeEmbeddings, dout: dSum, ids: typeIds, n: n, c: c)
    }
}
