import Tensor

/// A lookup table of V rows of C channels (HF `nn.Embedding`). The forward ACCUMULATES into `out`
/// so that BertEmbeddings' word + position + token-type sum is three calls on one buffer.
///
/// Sizes: N tokens, C channels, V vocabulary (table rows).
public enum Embedding {
    /// out (N, C) += table[ids[i]] for every token i. Every id must lie in 0..<V.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (N, C)
        ids: UnsafePointer<Int32>,  // (N)
        table: UnsafePointer<Float>,  // (V, C)
        n: Int, c: Int, vocabularySize: Int
    ) {
        precondition(n >= 0 && c > 0 && vocabularySize > 0, "Embedding.forward: bad sizes")
        for i in 0..<n {
            let id = Int(ids[i])
            precondition(id >= 0 && id < vocabularySize, "Embedding.forward: id \(id) at \(i) outside 0..<\(vocabularySize)")
            VectorOps.add(table + id * c, into: out + i * c, c)
        }
    }

    /// dtable[ids[i]] += dout[i], ACCUMULATED (+=) into `dtable` (V, C).
    public static func backward(
        dtable: UnsafeMutablePointer<Float>,  // (V, C)
        dout: UnsafePointer<Float>,  // (N, C)
        ids: UnsafePointer<Int32>,  // (N)
        n: Int, c: Int
    ) {
        precondition(n >= 0 && c > 0, "Embedding.backward: bad sizes")
        for i in 0..<n {
            let id = Int(ids[i])
            precondition(id >= 0, "Embedding.backward: negative id \(id) at \(i)")
            VectorOps.add(dout + i * c, into: dtable + id * c, c)
        }
    }
}
