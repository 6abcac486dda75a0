/// The one search entry point: the kind of scan is a parameter.
extension TopK {
    /// How the rows of a `VectorMatrix` are read for one query.
    public enum Scan {
        /// Every float32 row: the exact top-k (faiss `IndexFlatIP` on normalised vectors).
        case exact
        /// The exact top-k read through the int8 copy with proven error bounds (`searchBounded`):
        /// the same indices and scores as `.exact`, about a quarter of the memory traffic.
        case exactThroughInt8(QuantizedMatrix)
        /// Approximate: the best `candidates` rows of the int8 scan (default max(10 k, 100)),
        /// rescored in float32 (`searchInt8`).
        case int8(QuantizedMatrix, candidates: Int? = nil)
        /// Approximate: the best `candidates` rows of the 4-bit scan (default
        /// `nibbleCandidates(k:)`), rescored in float32 (`searchNibble`).
        case nibble(NibbleMatrix, candidates: Int? = nil)
    }

    /// The k best rows of `matrix` for `query` (`matrix.dimension` floats), best first, read as
    /// `scan` says. Scores are always exact cosines; only the approximate scans can miss a row.
    public static func search(
        query: UnsafePointer<Float>, matrix: VectorMatrix, k: Int, scan: Scan, threads: Int = 1
    ) -> [Hit] {
        switch scan {
        case .exact:
            return search(query: query, matrix: matrix, k: k, threads: threads)
        case .exactThroughInt8(let quantized):
            var rescored = 0
            return searchBounded(query: query, matrix: matrix, quantized: quantized, k: k, threads: threads, rescored: &rescored)
        case .int8(let quantized, let candidates):
            return searchInt8(query: query, matrix: matrix, quantized: quantized, k: k, candidates: candidates, threads: threads)
        case .nibble(let nibbles, let candidates):
            return searchNibble(query: query, matrix: matrix, nibbles: nibbles, k: k, candidates: candidates, threads: threads)
        }
    }
}
