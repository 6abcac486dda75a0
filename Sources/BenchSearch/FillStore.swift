import Foundation
import Store
import Tensor

/// `--fill-store PATH --n N`: appends random documents to the store at PATH, which `embedtune encode`
/// has bound to a real model, until it holds N, and writes its index file — a store that
/// `embedtune search` opens as any other, for the end-to-end command-line benchmark. Documents
/// `r<i>` have a random unit vector (seed + i) and a text of 12 words drawn from 50,000 made-up ones
/// (`w<j>`), so the lexical index has postings of realistic length (each word in ~240 of a million
/// documents).
func fillStore(path: String, n: Int, dim: Int, seed: UInt64) throws {
    let store = try VectorStore(path: path)
    guard let model = try store.storedModel(), model.dimension == dim else {
        throw StoreError.modelNotBound(path: path)
    }
    var have = try store.count()
    var rng = SplitMix64(seed: seed &+ 99)
    let batch = 10_000
    while have < n {
        let m = Swift.min(batch, n - have)
        let v = randomUnitVectors(m, dim, seed: seed &+ UInt64(have) &* 0x9E37)
        let docs = (0..<m).map { j -> StoredDocument in
            let words = (0..<12).map { _ in "w\(rng.next() % 50_000)" }.joined(separator: " ")
            return StoredDocument(
                id: "r\(have + j)", title: nil, text: words, contentHash: "",
                embedding: Array(v[(j * dim)..<((j + 1) * dim)]))
        }
        try store.upsert(docs)
        have += m
    }
    if case .failure = try store.mappedIndex() { try store.writeIndex() }
}
