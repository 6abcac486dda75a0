import Datasets
import Store

extension MiningData {
    /// The documents and vectors of a store written by `encode`, to mine from without embedding the
    /// corpus again. The store must record `fingerprint` (the mining model's); its documents come
    /// as their passages (what `encode` embedded), row i of the matrix being document i.
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
        let documents = try store.documentsInRowOrder().map {
            MiningDocument(id: $0.id, text: CorpusDocument(id: $0.id, title: $0.title, text: $0.text, line: 0).passage)
        }
        guard documents.map(\.id) == vectors.ids.map(Optional.some) else { throw MiningError.storeChanged(database: path) }
        if documents.isEmpty { throw MiningError.emptyCorpus(file: path) }
        return (documents, vectors)
    }
}
