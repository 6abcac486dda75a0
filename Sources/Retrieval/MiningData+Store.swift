import GRDB

extension MiningData {
    /// The documents and vectors of a store written by `encode`, to mine from without embedding the
    /// corpus again. The store must record `fingerprint` (the mining model's); its documents come
    /// as `RetrievalEvaluation.passage` (what `encode` embedded), row i of the matrix being document i.
    /// Its documents must have been embedded with `documentPrompt` too.
    public static func loadStore(
        path: String, fingerprint: String, documentPrompt: String? = nil
    ) throws -> (documents: [MiningDocument], vectors: VectorMatrix) {
        let store = try VectorStore(path: path, readOnly: true)
        guard let model = try store.storedModel() else { throw MiningError.emptyCorpus(file: path) }
        guard model.fingerprint == fingerprint else {
            throw MiningError.fingerprintMismatch(database: path, stored: model.fingerprint, model: fingerprint)
        }
        if model.documentPrompt != documentPrompt {
            throw StoreError.promptMismatch(stored: model.documentPrompt, given: documentPrompt, path: path)
        }
        let vectors = try store.loadMatrix()
        let documents = try store.passages()
        guard documents.map(\.id) == vectors.ids.map(Optional.some) else { throw MiningError.storeChanged(database: path) }
        if documents.isEmpty { throw MiningError.emptyCorpus(file: path) }
        return (documents, vectors)
    }
}

extension VectorStore {
    /// Every stored document's id and passage (title + " " + text), in rowid order — the order of
    /// `loadMatrix()`.
    func passages() throws -> [MiningDocument] {
        try guarded {
            try pool.read { db in
                var documents: [MiningDocument] = []
                let rows = try Row.fetchCursor(db, sql: "SELECT id, title, text FROM documents ORDER BY rowid")
                while let row = try rows.next() {
                    let doc = CorpusDocument(id: row[0], title: row[1], text: row[2], line: documents.count + 1)
                    documents.append(MiningDocument(id: doc.id, text: RetrievalEvaluation.passage(doc)))
                }
                return documents
            }
        }
    }
}
