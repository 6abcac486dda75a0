import Foundation
import Store
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The vectors a `Searcher` scans, from the store's mapped index file when it is current (written
/// again first when stale and allowed), else read from SQLite.
struct SearchVectors {
    let matrix: VectorMatrix
    let int8Copy: QuantizedMatrix?
    let nibbleCopy: NibbleMatrix?
    let outcome: SearchIndexOutcome

    static func load(store: VectorStore, quantized: Bool, use: SearchIndexUse) throws -> SearchVectors {
        var problem: VectorIndexProblem?
        if use != .never {
            switch try store.mappedIndex() {
            case .success(let mapped): return SearchVectors(mapped, quantized: quantized, outcome: .mapped)
            case .failure(let why): problem = why
            }
            if use == .rebuildIfStale, let why = problem, let rebuilt = rebuild(store) {
                return SearchVectors(rebuilt, quantized: quantized, outcome: .rebuilt(why))
            }
        }
        if try store.int8Scales() != nil {
            let loaded = try store.loadQuantized()
            return SearchVectors(
                matrix: loaded.matrix, int8Copy: loaded.quantized,
                nibbleCopy: quantized ? NibbleMatrix(quantized: loaded.quantized) : nil, outcome: .readFromDatabase(problem))
        }
        let matrix = try store.loadMatrix()
        // A store never quantized: --quantized makes the codes the index file would hold.
        let int8 = quantized ? QuantizedMatrix(matrix: matrix) : nil
        return SearchVectors(
            matrix: matrix, int8Copy: int8, nibbleCopy: int8.map { NibbleMatrix(quantized: $0) },
            outcome: .readFromDatabase(problem))
    }

    private init(matrix: VectorMatrix, int8Copy: QuantizedMatrix?, nibbleCopy: NibbleMatrix?, outcome: SearchIndexOutcome) {
        self.matrix = matrix
        self.int8Copy = int8Copy
        self.nibbleCopy = nibbleCopy
        self.outcome = outcome
    }

    private init(_ mapped: MappedVectorIndex, quantized: Bool, outcome: SearchIndexOutcome) {
        matrix = mapped.matrix
        int8Copy = mapped.quantized
        nibbleCopy = quantized ? mapped.nibble : nil
        self.outcome = outcome
    }

    /// True when this process may write the index file of the database at `path` again: the database
    /// and its directory are writable.
    static func mayWriteIndex(ofDatabase path: String) -> Bool {
        let directory = (path as NSString).deletingLastPathComponent
        return access(directory.isEmpty ? "." : directory, W_OK) == 0 && access(path, W_OK) == 0
    }

    /// Writes the index file again through a writable open of the store, when its directory can be
    /// written; the mapped result, or nil when that failed (the store changed meanwhile, no space, ...).
    private static func rebuild(_ store: VectorStore) -> MappedVectorIndex? {
        guard mayWriteIndex(ofDatabase: store.path),
            let writable = try? VectorStore(path: store.path), (try? writable.writeIndex()) != nil,
            case .success(let mapped)? = try? writable.mappedIndex()
        else { return nil }
        return mapped
    }
}
