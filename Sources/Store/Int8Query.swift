import CSIMD

/// A float query prepared for the int8 scan: (stride) Int16 values `round(query[d] * scales[d] * factor)`,
/// padding zero, and the byte split the VNNI path needs (`embedtune_int8_prepare`).
///
/// `dots` gives, for each row of codes, the exact integer sum_d values[d] * codes[d]; so the
/// approximate score of a row is `Float(dot) / factor`, and every path (AVX-512 VNNI, AVX2,
/// portable) returns the same integers.
struct Int8Query {
    /// (stride) Int16, aligned.
    let values: UnsafeMutablePointer<Int16>
    /// (stride) high and low bytes of values + 32768.
    let high: UnsafeMutablePointer<UInt8>
    let low: UnsafeMutablePointer<UInt8>
    let stride: Int
    /// Approximate score = Float(dot) / factor.
    let factor: Float
    /// Largest |values[d]|: |dot| <= 127 * stride * bound stays below Int32.max.
    let bound: Float

    init(query: UnsafePointer<Float>, scales: [Float], stride: Int) {
        precondition(stride % 16 == 0 && stride >= scales.count, "stride must be a multiple of 16 covering every dimension")
        self.stride = stride
        values = UnsafeMutableRawPointer.allocate(byteCount: stride * 2, alignment: 64)
            .bindMemory(to: Int16.self, capacity: stride)
        values.initialize(repeating: 0, count: stride)
        high = .allocate(capacity: stride)
        low = .allocate(capacity: stride)
        var largest: Float = 0
        for d in 0..<scales.count { largest = Swift.max(largest, abs(query[d] * scales[d])) }
        bound = Float(Swift.min(32767, Int(Int32.max) / (127 * Swift.max(stride, 1))))
        factor = largest > 0 && largest.isFinite ? bound / largest : 1
        for d in 0..<scales.count {
            let v = (query[d] * scales[d] * factor).rounded(.toNearestOrEven)
            values[d] = v.isFinite ? Int16(Swift.max(-bound, Swift.min(bound, v))) : 0
        }
        embedtune_int8_prepare(values, stride, high, low)
    }

    /// out[r] = sum_d values[d] * codes[r * stride + d] for `rows` rows of `stride` codes.
    @inline(__always)
    func dots(_ codes: UnsafePointer<Int8>, rows: Int, into out: UnsafeMutablePointer<Int32>) {
        embedtune_int8_dots(values, high, low, codes, stride, rows, out)
    }

    func deallocate() {
        values.deallocate()
        high.deallocate()
        low.deallocate()
    }
}
