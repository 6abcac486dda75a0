/// SIMD kernels over contiguous Float vectors. Swift does not vectorise scalar Float loops (strict
/// FP order), so reductions use `SIMD16` with several accumulators and a scalar tail.
public enum VectorOps {
    /// sum_i x[i] * y[i]
    @inlinable
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
        var i = 0
        let xs = UnsafeRawPointer(x), ys = UnsafeRawPointer(y)
        while i + 64 <= n {
            a0.addProduct(xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                          ys.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            a1.addProduct(xs.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self),
                          ys.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self))
            a2.addProduct(xs.loadUnaligned(fromByteOffset: i * 4 + 128, as: SIMD16<Float>.self),
                          ys.loadUnaligned(fromByteOffset: i * 4 + 128, as: SIMD16<Float>.self))
            a3.addProduct(xs.loadUnaligned(fromByteOffset: i * 4 + 192, as: SIMD16<Float>.self),
                          ys.loadUnaligned(fromByteOffset: i * 4 + 192, as: SIMD16<Float>.self))
            i += 64
        }
        while i + 16 <= n {
            a0.addProduct(xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                          ys.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            i += 16
        }
        var s = ((a0 + a1) + (a2 + a3)).sum()
        while i < n { s += x[i] * y[i]; i += 1 }
        return s
    }

    /// sum_i x[i]
    @inlinable
    public static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var a0 = SIMD16<Float>(), a1 = SIMD16<Float>()
        var i = 0
        let xs = UnsafeRawPointer(x)
        while i + 32 <= n {
            a0 += xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            a1 += xs.loadUnaligned(fromByteOffset: i * 4 + 64, as: SIMD16<Float>.self)
            i += 32
        }
        var s = (a0 + a1).sum()
        while i < n { s += x[i]; i += 1 }
        return s
    }

    /// y[i] += alpha * x[i]
    @inlinable
    public static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        var i = 0
        let xs = UnsafeRawPointer(x), ys = UnsafeMutableRawPointer(y)
        let a = SIMD16<Float>(repeating: alpha)
        while i + 16 <= n {
            var v = ys.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
            v.addProduct(a, xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            ys.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] += alpha * x[i]; i += 1 }
    }

    /// y[i] += x[i]
    @inlinable
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        combine(x, into: y, n, +, +)
    }

    /// y[i] *= x[i]
    @inlinable
    public static func multiply(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int) {
        combine(x, into: y, n, *, *)
    }

    /// y[i] = op(y[i], x[i]), sixteen lanes at a time (`vector`), the tail one by one (`scalar`, the
    /// same operation).
    @inlinable @inline(__always)
    static func combine(
        _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, _ n: Int,
        _ vector: (SIMD16<Float>, SIMD16<Float>) -> SIMD16<Float>, _ scalar: (Float, Float) -> Float
    ) {
        var i = 0
        let xs = UnsafeRawPointer(x), ys = UnsafeMutableRawPointer(y)
        while i + 16 <= n {
            let v = vector(ys.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
                           xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
            ys.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { y[i] = scalar(y[i], x[i]); i += 1 }
    }

    /// x[i] *= alpha
    @inlinable
    public static func scale(_ x: UnsafeMutablePointer<Float>, _ alpha: Float, _ n: Int) {
        var i = 0
        let xs = UnsafeMutableRawPointer(x)
        let a = SIMD16<Float>(repeating: alpha)
        while i + 16 <= n {
            let v = xs.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self) * a
            xs.storeBytes(of: v, toByteOffset: i * 4, as: SIMD16<Float>.self)
            i += 16
        }
        while i < n { x[i] *= alpha; i += 1 }
    }
}
