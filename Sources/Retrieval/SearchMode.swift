import Store

/// How `search`, `POST /search` and `eval` rank documents.
public enum SearchMode: Sendable, Equatable {
    /// Cosine similarity of the embeddings.
    case vector
    /// BM25 over title and text (SQLite FTS5).
    case lexical
    /// Reciprocal rank fusion of the vector and lexical lists, each `depth` deep (nil:
    /// `candidates(k:)`).
    case hybrid(RankFusion, depth: Int? = nil)

    /// The depth of each list fused for k results: max(k, 100), so the first k fused results are
    /// those of `eval`, which fuses two top-100 lists.
    public static func candidates(k: Int) -> Int { Swift.max(k, 100) }

    /// "vector", "lexical" or "hybrid" (the default fusion); nil for any other name.
    public init?(name: String, fusion: RankFusion = RankFusion(), depth: Int? = nil) {
        switch name {
        case "vector": self = .vector
        case "lexical": self = .lexical
        case "hybrid": self = .hybrid(fusion, depth: depth)
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .vector: "vector"
        case .lexical: "lexical"
        case .hybrid: "hybrid"
        }
    }
}
