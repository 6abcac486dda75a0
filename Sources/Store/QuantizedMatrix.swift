/// int8 copy of a `VectorMatrix` with one symmetric scale per dimension:
/// `scale[d] = max_i |x[i, d]| / 127`, `code[i, d] = round(x[i, d] / scale[d])` clamped to ±127,
/// so `x[i, d] ≈ scale[d] * code[i, d]`. A quarter of the float32 bytes to scan; `TopK.Scan.int8`
/// rescores its best candidates with the float32 rows, and `TopK.search` with `quantized` uses each
/// row's residual norm ||x_i - scale * code_i|| to skip, provably, rows that cannot reach the top k.
public final class QuantizedMatrix: @unchecked Sendable {
    public let count: Int
    public let dimension: Int
    /// Codes per row: `dimension` rounded up to a multiple of 16 (padding codes are 0).
    public let stride: Int
    /// (dimension) per-dimension scales.
    public let scales: [Float]
    /// (count, stride) row-major codes, 64-byte aligned.
    public let codes: UnsafeMutablePointer<Int8>
    /// (count) an upper bound of ||x_i - scale * code_i|| (L2, over the float row it was quantized
    /// from); +infinity until `updateResidual` has seen the row, which makes any bound use of it
    /// trivially safe.
    public let residualNorms: UnsafeMutablePointer<Float>
    /// The largest residual norm recorded (+infinity while some row has none).
    public var largestResidual: Float {
        finiteResiduals == count ? largestRecordedResidual : .infinity
    }
    /// The largest bound ever recorded (it only grows: a replaced bound keeps it conservative).
    private var largestRecordedResidual: Float = 0
    /// How many rows hold a finite bound.
    private var finiteResiduals = 0
    /// The mapping `codes` and `residualNorms` lie in; nil when they are this matrix's own memory.
    private let owner: AnyObject?

    /// An all-zero code matrix to be filled through `codes` (or `setRow`).
    public init(count: Int, dimension: Int, scales: [Float]) {
        precondition(count >= 0 && dimension > 0 && scales.count == dimension, "scales must have one value per dimension")
        self.count = count
        self.dimension = dimension
        self.stride = (dimension + 15) / 16 * 16
        self.scales = scales
        let n = Swift.max(1, count * stride)
        codes = HugePageBuffer.allocate(bytes: n).bindMemory(to: Int8.self, capacity: n)
        codes.initialize(repeating: 0, count: n)
        residualNorms = .allocate(capacity: Swift.max(1, count))
        residualNorms.initialize(repeating: .infinity, count: Swift.max(1, count))
        owner = nil
    }

    /// Codes over memory that `owner` keeps alive (a mapped `VectorIndexFile`): (count, stride) codes
    /// and (count) residual bounds, every one recorded, the largest `largestResidual`.
    init(
        count: Int, dimension: Int, scales: [Float], codes: UnsafeMutablePointer<Int8>,
        residualNorms: UnsafeMutablePointer<Float>, largestResidual: Float, owner: AnyObject
    ) {
        precondition(scales.count == dimension, "scales must have one value per dimension")
        self.count = count
        self.dimension = dimension
        self.stride = (dimension + 15) / 16 * 16
        self.scales = scales
        self.codes = codes
        self.residualNorms = residualNorms
        largestRecordedResidual = largestResidual
        finiteResiduals = largestResidual.isFinite ? count : 0
        self.owner = owner
    }

    /// Quantizes every row of `matrix` with `scales` (by default the matrix's own maxima).
    public convenience init(matrix: VectorMatrix, scales: [Float]? = nil) {
        let scales = scales ?? QuantizedMatrix.scales(of: matrix)
        self.init(count: matrix.count, dimension: matrix.dimension, scales: scales)
        for i in 0..<matrix.count {
            QuantizedMatrix.quantize(matrix.row(i), scales: scales, into: codes + i * stride)
            updateResidual(row: i, from: matrix.row(i))
        }
    }

    deinit {
        guard owner == nil else { return }
        codes.deallocate()
        residualNorms.deallocate()
    }

    /// Records the residual bound of row `i` against `x` (dimension floats), the vector its codes
    /// stand for: sqrt(sum_d (x[d] - scale[d] * code[d])^2), summed in Double and rounded up.
    public func updateResidual(row i: Int, from x: UnsafePointer<Float>) {
        let c = row(i)
        var sum: Double = 0
        for d in 0..<dimension {
            let r = Double(x[d]) - Double(scales[d]) * Double(c[d])
            sum += r * r
        }
        // Double rounding is far below Float's ulp; one step up makes the Float an upper bound.
        let norm = Float(sum.squareRoot() * (1 + 1e-12))
        let bound = norm.isNaN ? .infinity : norm.nextUp
        finiteResiduals += (bound.isFinite ? 1 : 0) - (residualNorms[i].isFinite ? 1 : 0)
        residualNorms[i] = bound
        largestRecordedResidual = Swift.max(largestRecordedResidual, bound)
    }

    /// Per-dimension scale max_i |x[i, d]| / 127 over every row (0 for an all-zero dimension).
    public static func scales(of matrix: VectorMatrix) -> [Float] {
        var maxima = [Float](repeating: 0, count: matrix.dimension)
        for i in 0..<matrix.count {
            let r = matrix.row(i)
            for d in 0..<matrix.dimension { maxima[d] = Swift.max(maxima[d], abs(r[d])) }
        }
        return maxima.map { $0 / 127 }
    }

    /// codes[d] = clamp(round(x[d] / scales[d]), -127, 127); 0 where the scale is 0.
    public static func quantize(_ x: UnsafePointer<Float>, scales: [Float], into codes: UnsafeMutablePointer<Int8>) {
        for d in 0..<scales.count { codes[d] = code(x[d], scale: scales[d]) }
    }

    @inline(__always)
    static func code(_ x: Float, scale: Float) -> Int8 {
        let q = scale > 0 ? (x / scale).rounded(.toNearestOrEven) : 0
        return Int8(Swift.min(127, Swift.max(-127, q.isNaN ? 0 : q)))
    }

    /// The codes of `vector` (dimension values) under `scales`.
    public static func quantize(_ vector: [Float], scales: [Float]) -> [Int8] {
        precondition(vector.count == scales.count, "vector of \(vector.count) values for \(scales.count) scales")
        return (0..<vector.count).map { d in code(vector[d], scale: scales[d]) }
    }

    @inlinable
    public func row(_ i: Int) -> UnsafeMutablePointer<Int8> {
        precondition(i >= 0 && i < count, "row \(i) out of 0..<\(count)")
        return codes + i * stride
    }
}
