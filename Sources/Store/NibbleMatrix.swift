import CSIMD

/// 4-bit copy of a `QuantizedMatrix`, the first pass of `--quantized` search: half the bytes of the
/// int8 codes, so a scan of it reads half as much memory; its best candidates are then rescored in
/// float32 (`TopK.Scan.nibble`).
///
/// Each dimension d gets a step t_d (in units of the int8 code) and the code
/// `clamp(round(c / t_d), -7, 7)` of each int8 code c, so `x[i, d] ≈ scales[d] * code` with
/// `scales[d] = int8 scale[d] * t_d`. The step minimises the squared error over the dimension's
/// int8 codes (a histogram of up to `sampleRows` rows): the largest value would ask for
/// t = max |c| / 7, but most values of an embedding lie far inside that range, and a smaller step
/// that clips a few outliers makes the typical error several times smaller. Codes are packed by
/// `embedtune_nibble_pack` (layout in nibble_dot.h).
public final class NibbleMatrix: @unchecked Sendable {
    public let count: Int
    public let dimension: Int
    /// Bytes per row: 64 per 128 dimensions (`dimension` rounded up to 128; padding codes are 0).
    public let stride: Int
    /// (dimension) value of one code step.
    public let scales: [Float]
    /// (count, stride) packed rows, 64-byte aligned.
    public let codes: UnsafeMutablePointer<UInt8>
    /// The mapping `codes` lies in; nil when it is this matrix's own memory.
    private let owner: AnyObject?

    /// Rows whose int8 codes are counted to choose the steps (evenly spaced when there are more).
    public static let sampleRows = 65_536
    /// Largest code magnitude.
    static let level = 7

    public convenience init(quantized: QuantizedMatrix) {
        self.init(quantized: quantized, steps: NibbleMatrix.steps(quantized))
    }

    /// The 4-bit copy of `quantized` with the given steps (`dimension` values, each >= 1).
    init(quantized: QuantizedMatrix, steps: [Float]) {
        precondition(steps.count == quantized.dimension, "one step per dimension")
        count = quantized.count
        dimension = quantized.dimension
        stride = (dimension + 127) / 128 * 64
        scales = (0..<dimension).map { quantized.scales[$0] * steps[$0] }
        let n = Swift.max(1, count * stride)
        codes = HugePageBuffer.allocate(bytes: n).bindMemory(to: UInt8.self, capacity: n)
        codes.initialize(repeating: 0x88, count: n)
        // (dimension, 255) the 4-bit code of each int8 code -127...127.
        var table = [Int8](repeating: 0, count: dimension * 255)
        for d in 0..<dimension {
            for c in -127...127 { table[d * 255 + c + 127] = NibbleMatrix.code(c, step: steps[d]) }
        }
        owner = nil
        var row = [Int8](repeating: 0, count: 2 * stride)
        table.withUnsafeBufferPointer { table in
            row.withUnsafeMutableBufferPointer { row in
                guard let t = table.baseAddress, let r = row.baseAddress else { return }
                for i in 0..<count {
                    let c = quantized.row(i)
                    for d in 0..<dimension { r[d] = t[d * 255 + Int(c[d]) + 127] }
                    embedtune_nibble_pack(r, stride, codes + i * stride)
                }
            }
        }
    }

    /// Packed codes over memory that `owner` keeps alive (a mapped `VectorIndexFile`).
    init(count: Int, dimension: Int, scales: [Float], codes: UnsafeMutablePointer<UInt8>, owner: AnyObject) {
        precondition(scales.count == dimension, "scales must have one value per dimension")
        self.count = count
        self.dimension = dimension
        stride = (dimension + 127) / 128 * 64
        self.scales = scales
        self.codes = codes
        self.owner = owner
    }

    deinit {
        guard owner == nil else { return }
        codes.deallocate()
    }

    @inline(__always)
    static func code(_ c: Int, step: Float) -> Int8 {
        Int8(Swift.max(-Float(level), Swift.min(Float(level), (Float(c) / step).rounded(.toNearestOrEven))))
    }

    /// Per dimension, the step (>= 1, <= max |c| / 7, at least 1/7 for an all-zero dimension) with
    /// the least squared error over a sample of the int8 codes.
    static func steps(_ q: QuantizedMatrix) -> [Float] {
        var histogram = [Int](repeating: 0, count: q.dimension * 255)
        let every = Swift.max(1, q.count / sampleRows)
        var i = 0
        while i < q.count {
            tally(q.row(i), dimension: q.dimension, into: &histogram)
            i += every
        }
        return steps(histogram: histogram, dimension: q.dimension)
    }

    /// Adds one row of int8 codes to a (dimension, 255) histogram.
    static func tally(_ codes: UnsafePointer<Int8>, dimension: Int, into histogram: inout [Int]) {
        histogram.withUnsafeMutableBufferPointer { h in
            guard let h = h.baseAddress else { return }
            for d in 0..<dimension { h[d * 255 + Int(codes[d]) + 127] += 1 }
        }
    }

    /// The least-error step of each dimension for a (dimension, 255) histogram of int8 codes.
    static func steps(histogram: [Int], dimension dims: Int) -> [Float] {
        (0..<dims).map { d in
            let zero = d * 255 + 127  // histogram[zero + c] counts the int8 code c
            let largest = (0...127).last { histogram[zero + $0] > 0 || histogram[zero - $0] > 0 } ?? 0
            let widest = Swift.max(Float(largest) / Float(level), 1)
            // Candidate steps from the widest (no clipping) down to a quarter of it, never below 1.
            var best = widest, bestError = Double.infinity
            for j in 0...48 {
                let t = Swift.max(1, widest * (1 - Float(j) / 64))
                var error: Double = 0
                for c in -largest...largest where histogram[zero + c] > 0 {
                    let e = Double(c) - Double(t) * Double(code(c, step: t))
                    error += Double(histogram[zero + c]) * e * e
                }
                if error < bestError { bestError = error; best = t }
            }
            return best
        }
    }
}
