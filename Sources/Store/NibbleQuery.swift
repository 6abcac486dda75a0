import CSIMD

/// A float query prepared for the 4-bit scan: (2 * stride) Int8 values
/// `round(query[d] * scales[d] * factor)`, padding zero, with `factor` chosen so the largest is ±127.
///
/// `dots` gives, for each packed row, the exact integer sum_d values[d] * code[d]; the approximate
/// score of a row is `Float(dot) / factor`. Every path (AVX-512 VNNI, AVX2, portable) returns the
/// same integers.
struct NibbleQuery {
    /// (2 * stride) Int8, aligned.
    let values: UnsafeMutablePointer<Int8>
    /// Bytes per packed row.
    let stride: Int
    /// Approximate score = Float(dot) / factor.
    let factor: Float

    init(query: UnsafePointer<Float>, scales: [Float], stride: Int) {
        precondition(stride % 64 == 0 && 2 * stride >= scales.count, "stride must be a multiple of 64 covering every dimension")
        self.stride = stride
        values = UnsafeMutableRawPointer.allocate(byteCount: 2 * stride, alignment: 64)
            .bindMemory(to: Int8.self, capacity: 2 * stride)
        values.initialize(repeating: 0, count: 2 * stride)
        var largest: Float = 0
        for d in 0..<scales.count { largest = Swift.max(largest, abs(query[d] * scales[d])) }
        factor = largest > 0 && largest.isFinite ? 127 / largest : 1
        for d in 0..<scales.count {
            let v = (query[d] * scales[d] * factor).rounded(.toNearestOrEven)
            values[d] = v.isFinite ? Int8(Swift.max(-127, Swift.min(127, v))) : 0
        }
    }

    /// out[r] = sum_d values[d] * code[r, d] for `rows` packed rows.
    @inline(__always)
    func dots(_ codes: UnsafePointer<UInt8>, rows: Int, into out: UnsafeMutablePointer<Int32>) {
        embedtune_nibble_dots(values, codes, stride, rows, out)
    }

    func deallocate() { values.deallocate() }
}
