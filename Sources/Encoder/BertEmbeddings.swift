import Kernels
import Tensor

/// `BertEmbeddings` (transformers' modeling_bert.py): LayerNorm(word + position + token type), over N
/// packed tokens; positions restart at 0 for every sequence.
public enum BertEmbeddings {
    /// out (N, C); sum (N, C) holds the pre-LayerNorm sum; mean/rstd (N) are kept for backward when given.
    public static func forward(
        out: UnsafeMutablePointer<Float>, sum: UnsafeMutablePointer<Float>,
        mean: UnsafeMutablePointer<Float>?, rstd: UnsafeMutablePointer<Float>?,
        ids: UnsafePointer<Int32>, typeIds: UnsafePointer<Int32>, positions: UnsafePointer<Int32>,
        weights w: BertParameters, n: Int
    ) {
        let config = w.config, c = config.hiddenSize
        sum.update(repeating: 0, count: n * c)
        Embedding.forward(out: sum, ids: ids, table: w.wordEmbeddings, n: n, c: c, vocabularySize: config.vocabSize)
        Embedding.forward(
            out: sum, ids: positions, table: w.positionEmbeddings, n: n, c: c,
            vocabularySize: config.maxPositionEmbeddings)
        Embedding.forward(
            out: sum, ids: typeIds, table: w.tokenTypeEmbeddings, n: n, c: c, vocabularySize: config.typeVocabSize)
        LayerNorm.forward(
            out: out, mean: mean, rstd: rstd, inp: sum,
            weight: w.embeddingsLayerNorm.weight, bias: w.embeddingsLayerNorm.bias,
            n: n, c: c, eps: config.layerNormEps)
    }
}
