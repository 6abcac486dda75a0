import Store

/// The check of a vector search's hits against the database, for hits found through a store's
/// mapped `VectorIndexFile`: its sections are not verified when it is mapped (hashing them would read
/// the whole file, 1.5 GB for a million 384-dimensional rows, on every search), and a damaged row
/// gave garbage scores or empty ids. SQLite is authoritative, so each hit must name a stored
/// document, once, and score the cosine of the query with that document's stored embedding. The cost
/// is one read of the k hits' rows from SQLite. A damaged row (its vector, its id, or its inverse
/// norm where rows are not unit-norm) that becomes a hit is caught; one that only drops out of the
/// top k, or damage to the int8 or 4-bit codes that only changes which rows are rescored, is not.
///
/// Tolerance: every scan scores a row as `TopK.score` does — the float32 dot times the row's inverse
/// norm and the query's, each taken as exactly 1 within `VectorMatrix.unitTolerance` (1e-4) of unit
/// norm — and the approximate scans (`--quantized`) rescore their candidates the same way, so a
/// correct hit is within about 2e-4 (the two unit-norm shortcuts) plus float32 rounding (~1e-6) of the
/// exact cosine. 1e-3 leaves room for that; damage that moves a score by less goes unnoticed.
enum IndexHitCheck {
    /// Largest |score - exact cosine from the stored vector| of a correct hit.
    static let tolerance = 1e-3

    /// Why `hits` (id, score; found for `query`, `dimension` floats) do not match `documents` (what
    /// `VectorStore.documents(ids:)` returns for the hits' ids); nil when every hit matches.
    static func mismatch(hits: [(id: String, score: Float)], query: [Float], documents: [StoredDocument]) -> String? {
        let stored = Dictionary(documents.map { ($0.id, $0.embedding) }, uniquingKeysWith: { first, _ in first })
        var seen = Set<String>()
        for hit in hits {
            let name = quoted(hit.id)
            guard seen.insert(hit.id).inserted else { return "two hits name \(name)" }
            guard let embedding = stored[hit.id] else { return "hit \(name): its row names no stored document" }
            guard embedding.count == query.count else {
                return "hit \(name): the stored vector has \(embedding.count) values, the query \(query.count)"
            }
            let expected = cosine(query, embedding)
            guard matches(score: hit.score, cosine: expected) else {
                return "hit \(name): score \(hit.score), the stored vector gives \(Float(expected))"
            }
        }
        return nil
    }

    /// True when a scan may give `score` for a row whose exact cosine with the query is `cosine`. A
    /// NaN or infinite score matches only a cosine that is not finite either (a stored vector or a
    /// query holding NaN or infinity gives the same from the index file and from SQLite).
    static func matches(score: Float, cosine: Double) -> Bool {
        guard cosine.isFinite else { return !score.isFinite }
        return score.isFinite && abs(Double(score) - cosine) <= tolerance
    }

    /// cos(a, b) of two (dimension) vectors in double precision: 0 when either is zero (as `TopK`
    /// scores a zero row or query), NaN when either holds NaN or infinity.
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "\(a.count) and \(b.count) values")
        var dot = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<a.count {
            let x = Double(a[i]), y = Double(b[i])
            dot += x * y
            aa += x * x
            bb += y * y
        }
        // Squares of float32 values cannot overflow a double: only NaN or infinity inputs get here.
        guard dot.isFinite, aa.isFinite, bb.isFinite else { return .nan }
        guard aa > 0, bb > 0 else { return 0 }
        return dot / (aa.squareRoot() * bb.squareRoot())
    }

    /// `id` in quotes for a message, cut to 40 characters: a damaged id offset can span megabytes of
    /// id bytes.
    static func quoted(_ id: String) -> String {
        id.count <= 40 ? "\"\(id)\"" : "\"\(id.prefix(40))…\""
    }
}
