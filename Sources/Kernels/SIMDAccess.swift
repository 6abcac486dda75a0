/// Unaligned `SIMD16<Float>` loads and stores at element offsets, plus partial ("tail") vectors
/// padded with a fill value, shared by the elementwise kernels of this target.
extension UnsafePointer where Pointee == Float {
    /// Elements `i..<i+16` as one vector.
    @inline(__always) @usableFromInline
    func vector(at i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Elements `i..<i+count` (count < 16) with the remaining lanes set to `fill`.
    @inline(__always) @usableFromInline
    func tail(at i: Int, count: Int, fill: Float = 0) -> SIMD16<Float> {
        var v = SIMD16<Float>(repeating: fill)
        for j in 0..<count { v[j] = self[i + j] }
        return v
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    @inline(__always) @usableFromInline
    func vector(at i: Int) -> SIMD16<Float> {
        UnsafeRawPointer(self + i).loadUnaligned(as: SIMD16<Float>.self)
    }

    @inline(__always) @usableFromInline
    func tail(at i: Int, count: Int, fill: Float = 0) -> SIMD16<Float> {
        UnsafePointer(self).tail(at: i, count: count, fill: fill)
    }

    /// Writes `v` to elements `i..<i+16`.
    @inline(__always) @usableFromInline
    func store(_ v: SIMD16<Float>, at i: Int) {
        UnsafeMutableRawPointer(self + i).storeBytes(of: v, as: SIMD16<Float>.self)
    }

    /// Writes the first `count` lanes of `v` to elements `i..<i+count`.
    @inline(__always) @usableFromInline
    func storeTail(_ v: SIMD16<Float>, at i: Int, count: Int) {
        for j in 0..<count { self[i + j] = v[j] }
    }
}

extension SIMD16 where Scalar == Float {
    /// Sum of the lanes by pairwise halving (the standard library's `sum()` adds lane by lane in
    /// order, a chain of 15 dependent additions).
    @inline(__always) @usableFromInline
    var horizontalSum: Float {
        let h8 = lowHalf + highHalf
        let h4 = h8.lowHalf + h8.highHalf
        let h2 = h4.lowHalf + h4.highHalf
        return h2[0] + h2[1]
    }

    /// Largest lane by pairwise halving.
    @inline(__always) @usableFromInline
    var horizontalMax: Float {
        var h8 = lowHalf
        h8.replace(with: highHalf, where: highHalf .> h8)
        var h4 = h8.lowHalf
        h4.replace(with: h8.highHalf, where: h8.highHalf .> h4)
        return Swift.max(Swift.max(h4[0], h4[1]), Swift.max(h4[2], h4[3]))
    }
}
