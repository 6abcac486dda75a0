import CSIMD

/// Reductions and elementwise updates over contiguous Float vectors: CSIMD's vector kernels
/// (vector_kernels.h), which run the AVX-512, AVX2 or baseline build of one 16-lane loop as the CPU
/// (or EMBEDTUNE_CPU) allows, with the same result on every path.
public enum VectorOps {
    /// sum_i x[i] * y[i]
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        embedtune_vec_dot(x, y, n)
    }

    /// sum_i x[i]
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        embedtune_vec_sum(x, n)
    }

    /// The first NaN or infinity of `x`, nil when every value is finite.
    public static func firstNonFinite(_ x: UnsafeBufferPointer<Float>) -> Float? {
        guard let start = x.baseAddress else { return nil }
        let i = embedtune_vec_first_nonfinite(start, x.count)
        return i < x.count ? start[i] : nil
    }

    /// y[i] += alpha * x[i]
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        embedtune_vec_axpy(alpha, x, y, n)
    }

    /// y[i] += x[i]
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        embedtune_vec_add(x, y, n)
    }

    /// y[i] *= x[i]
    @inlinable
    public static func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        embedtune_vec_mul(x, y, n)
    }

    /// out[i] = x[i] * y[i]
    @inlinable
    public static func multiply(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, _ n: Int) {
        embedtune_vec_mul_to(x, y, out, n)
    }

    /// x[i] *= alpha
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ alpha: Float, _ n: Int) {
        embedtune_vec_scale(x, alpha, n)
    }

    /// y[i] += x[i] * w[i]
    @inlinable
    public static func addProducts(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        embedtune_vec_fma_into(x, w, y, n)
    }
}
