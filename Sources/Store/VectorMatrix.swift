import Tensor

/// Every stored vector in one 64-byte-aligned row-major Float buffer, with the document ids in the
/// same order and each row's norm — the in-memory index that `TopK` scans. Its memory is its own, or
/// (`VectorIndexFile`) a private read-write mapping of an index file, which `owner` keeps alive.
///
/// Rows are padded with zeros to `stride` floats (a multiple of 16), so SIMD16 scans need no tail
/// and every row starts 64-byte aligned; `gemm` takes `stride` as the leading dimension.
public final class VectorMatrix: @unchecked Sendable {
    public let count: Int
    public let dimension: Int
    /// Floats per row: `dimension` rounded up to a multiple of 16.
    public let stride: Int
    /// (count) document ids, row order.
    public internal(set) var ids: RowIDs
    /// (count, stride) row-major, padding columns zero.
    public let data: UnsafeMutablePointer<Float>
    /// (count) L2 norm of each row.
    public let norms: UnsafeMutablePointer<Float>
    /// (count) 1 / norm, or 0 for a zero row (its cosine with anything is 0).
    public let inverseNorms: UnsafeMutablePointer<Float>
    /// True when every row has norm within `unitTolerance` of 1: cosine is then the plain dot product.
    public private(set) var isUnitNorm: Bool
    /// The mapping `data`, `norms` and `inverseNorms` lie in; nil when they are this matrix's own memory.
    private let owner: AnyObject?

    public static let unitTolerance: Float = 1e-4

    /// A zero matrix to be filled through `data`; call `updateNorms()` once filled.
    public init(count: Int, dimension: Int, ids: [String]) {
        precondition(count >= 0 && dimension > 0, "matrix needs count >= 0 and dimension > 0")
        precondition(ids.count == count, "\(ids.count) ids for \(count) rows")
        self.count = count
        self.dimension = dimension
        self.stride = (dimension + 15) / 16 * 16
        self.ids = RowIDs(ids)
        let n = Swift.max(1, count * stride)
        self.data = HugePageBuffer.allocate(bytes: n * MemoryLayout<Float>.stride).bindMemory(to: Float.self, capacity: n)
        data.initialize(repeating: 0, count: n)
        norms = .allocate(capacity: Swift.max(1, count))
        norms.initialize(repeating: 0, count: Swift.max(1, count))
        inverseNorms = .allocate(capacity: Swift.max(1, count))
        inverseNorms.initialize(repeating: 0, count: Swift.max(1, count))
        isUnitNorm = true
        owner = nil
    }

    /// A matrix over memory that `owner` keeps alive (a mapped `VectorIndexFile`): (count, stride)
    /// rows, (count) norms and inverse norms, already computed.
    init(
        count: Int, dimension: Int, ids: RowIDs, data: UnsafeMutablePointer<Float>, norms: UnsafeMutablePointer<Float>,
        inverseNorms: UnsafeMutablePointer<Float>, isUnitNorm: Bool, owner: AnyObject
    ) {
        precondition(ids.count == count, "\(ids.count) ids for \(count) rows")
        self.count = count
        self.dimension = dimension
        self.stride = (dimension + 15) / 16 * 16
        self.ids = ids
        self.data = data
        self.norms = norms
        self.inverseNorms = inverseNorms
        self.isUnitNorm = isUnitNorm
        self.owner = owner
    }

    /// A matrix holding `vectors` (each `dimension` long) in order.
    public convenience init(ids: [String], vectors: [[Float]], dimension: Int) {
        precondition(ids.count == vectors.count, "\(ids.count) ids for \(vectors.count) vectors")
        self.init(count: vectors.count, dimension: dimension, ids: ids)
        for (i, v) in vectors.enumerated() {
            precondition(v.count == dimension, "vector \(i) has \(v.count) values, not \(dimension)")
            let r = data + i * stride
            for (d, x) in v.enumerated() { r[d] = x }
        }
        updateNorms()
    }

    deinit {
        guard owner == nil else { return }
        data.deallocate()
        norms.deallocate()
        inverseNorms.deallocate()
    }

    /// Start of row `i` (stride floats, `dimension` of them meaningful).
    @inlinable
    public func row(_ i: Int) -> UnsafeMutablePointer<Float> {
        precondition(i >= 0 && i < count, "row \(i) out of 0..<\(count)")
        return data + i * stride
    }

    /// Recomputes `norms`, `inverseNorms` and `isUnitNorm` from `data`.
    public func updateNorms() {
        var unit = true
        for i in 0..<count {
            let r = data + i * stride
            let norm = VectorOps.dot(r, r, dimension).squareRoot()
            norms[i] = norm
            inverseNorms[i] = norm > 0 ? 1 / norm : 0
            if abs(norm - 1) > VectorMatrix.unitTolerance { unit = false }
        }
        isUnitNorm = unit
    }

    /// The stored values of row `i`.
    public func vector(_ i: Int) -> [Float] { Array(UnsafeBufferPointer(start: row(i), count: dimension)) }
}
