import Foundation
import GRDB

/// Loading the stored vectors into memory for `TopK`, and the int8 copy.
extension VectorStore {
    /// Every stored vector, in rowid order, from one read snapshot.
    public func loadMatrix() throws -> VectorMatrix {
        try guarded { try pool.read { db in try loadMatrix(db) } }
    }

    /// The float32 matrix and its int8 codes, from the same read snapshot (same rows, same order).
    /// Rows written before the scales existed are quantized while loading.
    public func loadQuantized() throws -> (matrix: VectorMatrix, quantized: QuantizedMatrix) {
        try guarded {
            try pool.read { db in
                let matrix = try loadMatrix(db)
                guard let quantized = try storedCodes(db, matrix: matrix) else { throw StoreError.notQuantized(path: path) }
                return (matrix, quantized)
            }
        }
    }

    /// The store's int8 codes of `matrix`'s rows (read in the same snapshot), or nil before `quantize()`.
    /// Rows written before the scales existed are quantized while loading.
    func storedCodes(_ db: Database, matrix: VectorMatrix) throws -> QuantizedMatrix? {
        guard let scales = try VectorStore.readScales(db, dimension: matrix.dimension, path: path) else { return nil }
        let quantized = QuantizedMatrix(count: matrix.count, dimension: matrix.dimension, scales: scales)
        let rows = try Row.fetchCursor(db, sql: "SELECT id, embedding_int8 FROM documents ORDER BY rowid")
        var i = 0
        while let row = try rows.next(), i < matrix.count {
            let ok = try row.withUnsafeData(atIndex: 1) { blob -> Bool in
                guard let blob else {
                    QuantizedMatrix.quantize(matrix.row(i), scales: scales, into: quantized.row(i))
                    return true
                }
                return VectorBlob.decode(int8: blob, count: matrix.dimension, into: quantized.row(i))
            }
            if !ok {
                let bytes = try row.withUnsafeData(atIndex: 1) { $0?.count ?? 0 }
                throw StoreError.corruptVector(id: row[0], column: "embedding_int8", bytes: bytes, path: path)
            }
            quantized.updateResidual(row: i, from: matrix.row(i))
            i += 1
        }
        return quantized
    }

    /// Computes per-dimension scales over every stored vector and rewrites every row's int8 codes,
    /// in one transaction. Returns the scales.
    @discardableResult
    public func quantize() throws -> [Float] {
        try guarded {
            try pool.write { db in
                let dimension = try VectorStore.dimension(db, path: path)
                var maxima = [Float](repeating: 0, count: dimension)
                var vector = [Float](repeating: 0, count: dimension)
                let rows = try Row.fetchCursor(db, sql: "SELECT id, embedding FROM documents")
                while let row = try rows.next() {
                    try decodeRow(row, into: &vector, dimension: dimension)
                    for d in 0..<dimension { maxima[d] = Swift.max(maxima[d], abs(vector[d])) }
                }
                let scales = maxima.map { $0 / 127 }
                try db.execute(sql: "INSERT OR REPLACE INTO int8_scales(id, scales) VALUES (1, ?)",
                               arguments: [VectorBlob.encode(scales)])
                // Rewrite in rowid ranges, so no cursor is open on the table being updated.
                let update = try db.cachedStatement(sql: "UPDATE documents SET embedding_int8 = ? WHERE rowid = ?")
                var last: Int64 = .min
                while true {
                    var batch: [(Int64, Data)] = []
                    let page = try Row.fetchCursor(
                        db, sql: "SELECT rowid, id, embedding FROM documents WHERE rowid > ? ORDER BY rowid LIMIT 4096",
                        arguments: [last])
                    while let row = try page.next() {
                        let rowid: Int64 = row[0]
                        let id: String = row[1]
                        let blob: Data = row[2]
                        guard let v = VectorBlob.decode(blob, count: dimension) else {
                            throw StoreError.corruptVector(id: id, column: "embedding", bytes: blob.count, path: path)
                        }
                        batch.append((rowid, VectorBlob.encode(int8: QuantizedMatrix.quantize(v, scales: scales))))
                    }
                    guard let end = batch.last?.0 else { break }
                    for (rowid, codes) in batch { try update.execute(arguments: [codes, rowid]) }
                    last = end
                }
                return scales
            }
        }
    }

    /// The stored int8 scales, or nil before `quantize()`.
    public func int8Scales() throws -> [Float]? {
        try guarded {
            try pool.read { db in
                try VectorStore.readScales(db, dimension: VectorStore.dimension(db, path: path), path: path)
            }
        }
    }

    static func readScales(_ db: Database, dimension: Int, path: String) throws -> [Float]? {
        guard let blob = try Data.fetchOne(db, sql: "SELECT scales FROM int8_scales WHERE id = 1") else { return nil }
        guard let scales = VectorBlob.decode(blob, count: dimension) else {
            throw StoreError.corruptVector(id: "(int8_scales)", column: "scales", bytes: blob.count, path: path)
        }
        return scales
    }

    func loadMatrix(_ db: Database) throws -> VectorMatrix {
        let dimension = try VectorStore.dimension(db, path: path)
        let n = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM documents") ?? 0
        // (n, stride) filled row by row straight from SQLite's blob memory; ids set once read.
        let matrix = VectorMatrix(count: n, dimension: dimension, ids: Array(repeating: "", count: n))
        var ids: [String] = []
        ids.reserveCapacity(n)
        let rows = try Row.fetchCursor(db, sql: "SELECT id, embedding FROM documents ORDER BY rowid")
        while let row = try rows.next(), ids.count < n {
            let id: String = row[0]
            let ok = try row.withUnsafeData(atIndex: 1) { blob in
                blob.map { VectorBlob.decode($0, count: dimension, into: matrix.row(ids.count)) } ?? false
            }
            if !ok {
                let bytes = try row.withUnsafeData(atIndex: 1) { $0?.count ?? 0 }
                throw StoreError.corruptVector(id: id, column: "embedding", bytes: bytes, path: path)
            }
            ids.append(id)
        }
        precondition(ids.count == n, "read \(ids.count) rows of \(n) in one snapshot")
        matrix.ids = RowIDs(ids)
        matrix.updateNorms()
        return matrix
    }

    private func decodeRow(_ row: Row, into vector: inout [Float], dimension: Int) throws {
        let ok = try row.withUnsafeData(atIndex: 1) { blob in
            guard let blob else { return false }
            guard let decoded = VectorBlob.decode(blob, count: dimension) else { return false }
            vector = decoded
            return true
        }
        if !ok {
            let bytes = try row.withUnsafeData(atIndex: 1) { $0?.count ?? 0 }
            throw StoreError.corruptVector(id: row[0], column: "embedding", bytes: bytes, path: path)
        }
    }
}
