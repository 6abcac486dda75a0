/// The memory-bound inner loop of exact search: one row at a time, four SIMD16 accumulators
/// (eight independent FMA chains), a fixed-order tree reduction. Scanning and rescoring call the
/// same function, so a rescored score equals the scanned one bit for bit. (Four rows per step with
/// one accumulator each ran at half the bandwidth here: four interleaved streams prefetch worse.)
enum ScanKernels {
    /// dot(query, row) over `stride` floats (a multiple of 16) with four SIMD16 accumulators.
    @inline(__always)
    static func dot1(_ query: UnsafeRawPointer, _ row: UnsafeRawPointer, _ stride: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        let bytes = stride * 4
        var off = 0
        while off + 256 <= bytes {
            a0.addProduct(query.load(fromByteOffset: off, as: SIMD16<Float>.self), row.load(fromByteOffset: off, as: SIMD16<Float>.self))
            a1.addProduct(query.load(fromByteOffset: off + 64, as: SIMD16<Float>.self), row.load(fromByteOffset: off + 64, as: SIMD16<Float>.self))
            a2.addProduct(query.load(fromByteOffset: off + 128, as: SIMD16<Float>.self), row.load(fromByteOffset: off + 128, as: SIMD16<Float>.self))
            a3.addProduct(query.load(fromByteOffset: off + 192, as: SIMD16<Float>.self), row.load(fromByteOffset: off + 192, as: SIMD16<Float>.self))
            off += 256
        }
        while off < bytes {
            a0.addProduct(query.load(fromByteOffset: off, as: SIMD16<Float>.self), row.load(fromByteOffset: off, as: SIMD16<Float>.self))
            off += 64
        }
        return horizontalSum((a0 + a1) + (a2 + a3))
    }

    /// Pairwise tree sum of the 16 lanes (vector adds, fixed order).
    @inline(__always)
    static func horizontalSum(_ v: SIMD16<Float>) -> Float {
        let v8 = v.lowHalf + v.highHalf
        let v4 = v8.lowHalf + v8.highHalf
        let v2 = v4.lowHalf + v4.highHalf
        return v2[0] + v2[1]
    }
}
