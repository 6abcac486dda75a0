import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The store's index file (`VectorIndexFile`): building it from one snapshot, and mapping it when it
/// is current.
extension VectorStore {
    /// `<database>.vectors`.
    public var indexPath: String { VectorIndexFile.path(forDatabase: path) }

    /// The store's identity (`StoreGeneration`); nil for a store written before it existed and opened
    /// read-only since.
    public func generation() throws -> StoreGeneration? {
        try guarded { try pool.read { db in try StoreGeneration.read(db) } }
    }

    /// Writes the index file from one read snapshot: every vector, the store's int8 codes when it has
    /// them (else codes made for the index with the matrix's own scales) and the 4-bit codes derived
    /// from those, recorded with the snapshot's identity. Old temporary files of writers that died are
    /// removed first. Throws for a store without identity (open it writable once).
    public func writeIndex() throws {
        removeDeadWritersFiles()
        let (matrix, quantized, fromStore, generation) = try guarded {
            try pool.read { db -> (VectorMatrix, QuantizedMatrix, Bool, StoreGeneration) in
                guard let generation = try StoreGeneration.read(db) else {
                    throw StoreError.indexFile(path: indexPath, reason: "the store has no identity; open it for writing once")
                }
                let matrix = try loadMatrix(db)
                if let stored = try storedCodes(db, matrix: matrix) { return (matrix, stored, true, generation) }
                return (matrix, QuantizedMatrix(matrix: matrix), false, generation)
            }
        }
        try VectorIndexFile.write(
            matrix: matrix, quantized: quantized, nibble: NibbleMatrix(quantized: quantized), generation: generation,
            int8FromStore: fromStore, to: indexPath)
    }

    /// The mapped index file when it describes the store's current vectors; otherwise why not.
    public func mappedIndex() throws -> Result<MappedVectorIndex, VectorIndexProblem> {
        let state = try guarded {
            try pool.read { db in (try StoreGeneration.read(db), try VectorStore.dimension(db, path: path)) }
        }
        guard let generation = state.0 else { return .failure(.storeWithoutIdentity(path: indexPath)) }
        do {
            return .success(try VectorIndexFile.load(path: indexPath, expected: generation, dimension: state.1))
        } catch {
            return .failure(error)
        }
    }

    /// Deletes `<index>.tmp-PID` files whose writer process no longer exists (killed while writing).
    func removeDeadWritersFiles() {
        let url = URL(fileURLWithPath: indexPath)
        let directory = url.deletingLastPathComponent()
        let prefix = url.lastPathComponent + ".tmp-"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
        for name in names where name.hasPrefix(prefix) {
            guard let pid = Int32(name.dropFirst(prefix.count)), pid > 0 else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { unlink(directory.appendingPathComponent(name).path) }
        }
    }
}
