import CSIMD

/// Vectorised `exp` and `erf` over `SIMD16<Float>`. Foundation's scalar `exp`/`erf` cost a libm call
/// per element; these run branch-free on whole vectors (AVX2 + FMA in release builds).
///
/// Accuracy, checked against Foundation in `FastMathTests`: `exp` within a few ulp over [-87, 88];
/// `erf` within 2e-7 relative over the whole line.
public enum FastMath {
    @usableFromInline static let log2e: Float = 1.442_695_040_888_963_4
    // Cody–Waite split of ln 2: `ln2Hi` has trailing zero bits so that k * ln2Hi is exact for |k| < 2^9.
    @usableFromInline static let ln2Hi: Float = 0.693_145_751_953_125
    @usableFromInline static let ln2Lo: Float = 1.428_606_765_330_187_0e-6
    /// 1.5 * 2^23 + 127: adding it to y (|y| < 2^21) rounds y to an integer k held in the low
    /// mantissa bits, already biased by the exponent bias, so that `bits << 23` is the pattern of 2^k.
    @usableFromInline static let shifter: Float = 12_583_039

    /// e^x lane by lane. Inputs below -87.33 give 0 (e^-87.33 is the smallest normal float);
    /// inputs are clamped above at 88.3 (e^88.3 ≈ 2.1e38), which softmax never reaches.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let lo = SIMD16<Float>(repeating: -87.33)
        let hi = SIMD16<Float>(repeating: 88.3)
        let xc = x.replacing(with: lo, where: x .< lo).replacing(with: hi, where: x .> hi)
        // k = round(x / ln 2), r = x - k ln 2 in [-ln2/2, ln2/2], e^x = 2^k e^r.
        let shifted = SIMD16<Float>(repeating: shifter).addingProduct(xc, SIMD16(repeating: log2e))
        let k = shifted - SIMD16<Float>(repeating: shifter)
        var r = xc.addingProduct(k, SIMD16(repeating: -ln2Hi))
        r = r.addingProduct(k, SIMD16(repeating: -ln2Lo))
        // e^r by its Taylor series to r^7 (truncation error < 2e-9 relative on the interval).
        var p = SIMD16<Float>(repeating: 1.0 / 5040)
        p = SIMD16(repeating: 1.0 / 720).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 120).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 24).addingProduct(p, r)
        p = SIMD16(repeating: 1.0 / 6).addingProduct(p, r)
        p = SIMD16(repeating: 0.5).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        p = SIMD16(repeating: 1).addingProduct(p, r)
        let scaleBits = unsafeBitCast(shifted, to: SIMD16<UInt32>.self) &<< 23
        let result = p * unsafeBitCast(scaleBits, to: SIMD16<Float>.self)
        return result.replacing(with: 0, where: x .< lo)
    }

    // The two fits of erf (on |x| < 1 and on 1 <= |x| < 3.92) and their accuracy: CSIMD's
    // erf_coefficients.h, shared with the C GELU kernel.
    @usableFromInline static let erfSmall: (Float, Float, Float, Float, Float, Float) = (
        EMBEDTUNE_ERF_SMALL_0, EMBEDTUNE_ERF_SMALL_1, EMBEDTUNE_ERF_SMALL_2,
        EMBEDTUNE_ERF_SMALL_3, EMBEDTUNE_ERF_SMALL_4, EMBEDTUNE_ERF_SMALL_5)
    @usableFromInline static let erfLarge: (Float, Float, Float, Float, Float, Float, Float, Float) = (
        EMBEDTUNE_ERF_LARGE_0, EMBEDTUNE_ERF_LARGE_1, EMBEDTUNE_ERF_LARGE_2, EMBEDTUNE_ERF_LARGE_3,
        EMBEDTUNE_ERF_LARGE_4, EMBEDTUNE_ERF_LARGE_5, EMBEDTUNE_ERF_LARGE_6, EMBEDTUNE_ERF_LARGE_7)

    /// The error function erf(x) = 2/√π ∫₀ˣ e^(-t²) dt lane by lane.
    @inlinable @inline(__always)
    public static func erf(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let bound = SIMD16<Float>(repeating: EMBEDTUNE_ERF_BOUND)
        let a = x.replacing(with: -bound, where: x .< -bound).replacing(with: bound, where: x .> bound)
        let ax = unsafeBitCast(
            unsafeBitCast(a, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: SIMD16<Float>.self)
        let t = a * a
        let s = erfSmall
        var p = SIMD16<Float>(repeating: s.5)
        p = SIMD16(repeating: s.4).addingProduct(p, t)
        p = SIMD16(repeating: s.3).addingProduct(p, t)
        p = SIMD16(repeating: s.2).addingProduct(p, t)
        p = SIMD16(repeating: s.1).addingProduct(p, t)
        p = SIMD16(repeating: s.0).addingProduct(p, t)
        let small = a * p
        let large = largeTail(ax, t)
        // `large` is erf(|x|); restore the sign.
        let signed = large.replacing(with: -large, where: a .< 0)
        return small.replacing(with: signed, where: ax .>= 1)
    }

    @inlinable @inline(__always)
    static func largeTail(_ ax: SIMD16<Float>, _ t: SIMD16<Float>) -> SIMD16<Float> {
        let l = erfLarge
        let u = 1 / ax.replacing(with: 1, where: ax .< 1)
        var q = SIMD16<Float>(repeating: l.7)
        q = SIMD16(repeating: l.6).addingProduct(q, u)
        q = SIMD16(repeating: l.5).addingProduct(q, u)
        q = SIMD16(repeating: l.4).addingProduct(q, u)
        q = SIMD16(repeating: l.3).addingProduct(q, u)
        q = SIMD16(repeating: l.2).addingProduct(q, u)
        q = SIMD16(repeating: l.1).addingProduct(q, u)
        q = SIMD16(repeating: l.0).addingProduct(q, u)
        return 1 - exp(-t) * q
    }
}
