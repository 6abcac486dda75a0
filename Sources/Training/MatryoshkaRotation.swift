import Encoder

/// A fixed rotation of the embedding space that puts the base model's directions of largest second
/// moment first, trained under as a Dense module (`DenseModule`, identity activation, no bias) between
/// pooling and normalisation, so that Matryoshka training starts from prefixes that already carry most
/// of each embedding (principal component analysis without centring, since retrieval compares unit
/// vectors by their angle). A rotation is orthogonal: the full embedding's cosine similarities are
/// unchanged; only its truncations gain. Truncating a rotated embedding is the classic PCA reduction of
/// embeddings (sentence-transformers' examples/training/distillation/dimensionality_reduction.py adds
/// such a Dense module too); MatryoshkaLoss (arXiv 2205.13147) then trains the encoder for the prefixes.
///
/// Sizes: K embeddings, D their dimension.
public enum MatryoshkaRotation {
    /// The rotation of `rows` (K, D) — unit embeddings of the training texts by the base model — as a Dense
    /// module: weight row i is the i-th eigenvector of Σ_k e_k e_kᵀ, by descending eigenvalue.
    public static func fit(rows: [Float], dimension d: Int) -> DenseModule {
        precondition(d > 0 && rows.count % d == 0 && !rows.isEmpty, "rows must be (K, \(d)) with K > 0")
        let k = rows.count / d
        var moment = [Double](repeating: 0, count: d * d)  // (D, D), upper triangle
        var row = [Double](repeating: 0, count: d)
        for r in 0..<k {
            for i in 0..<d { row[i] = Double(rows[r * d + i]) }
            for i in 0..<d {
                let x = row[i]
                for j in i..<d { moment[i * d + j] += x * row[j] }
            }
        }
        let eigen = SymmetricEigen(matrix: moment, order: d)
        return DenseModule(
            inFeatures: d, outFeatures: d, weight: eigen.vectors.map { Float($0) }, bias: nil, activation: .identity)
    }
}
