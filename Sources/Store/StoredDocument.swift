/// One row of the `documents` table.
public struct StoredDocument: Sendable, Equatable {
    public var id: String
    public var title: String?
    public var text: String
    /// `ContentHash.of(id:title:text:)` of the fields the vector was computed from.
    public var contentHash: String
    /// (dimension) float32 vector as stored (unit norm when the model normalises).
    public var embedding: [Float]

    public init(id: String, title: String?, text: String, contentHash: String, embedding: [Float]) {
        self.id = id
        self.title = title
        self.text = text
        self.contentHash = contentHash
        self.embedding = embedding
    }

    /// A document whose hash is computed from its fields.
    public init(id: String, title: String?, text: String, embedding: [Float]) {
        self.init(id: id, title: title, text: text, contentHash: ContentHash.of(id: id, title: title, text: text),
                  embedding: embedding)
    }
}

/// The content hash that tells `encode` whether a stored document changed: the SHA-256 (FIPS 180-4)
/// hex digest of the id, the title and the text. Each field is framed by its UTF-8 byte length (8
/// bytes little-endian) and a missing title by a distinct tag, so no two different field triples
/// share an input; with 256 bits, collisions are practically impossible.
public enum ContentHash {
    public static func of(id: String, title: String?, text: String) -> String {
        var sha = SHA256()
        sha.update("embedtune-doc-v1".utf8)
        for field in [id as String?, title, text] {
            guard let field else {
                sha.update([0])  // absent
                continue
            }
            sha.update([1])
            let bytes = Array(field.utf8)
            let n = UInt64(bytes.count)
            sha.update((0..<8).map { UInt8(truncatingIfNeeded: n >> UInt64(8 * $0)) })
            sha.update(bytes)
        }
        return SHA256.hex(sha.finalize())
    }
}
