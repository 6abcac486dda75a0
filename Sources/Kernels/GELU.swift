import CSIMD
import Tensor

/// The exact (erf) Gaussian error linear unit, HF `ACT2FN["gelu"]` (torch.nn.functional.gelu with
/// approximate="none"): gelu(x) = x Φ(x) = 0.5 x (1 + erf(x / √2)). Uses `FastMath.erf`.
///
/// Sizes: `count` elements of any shape (the FFN's (N, 4C) intermediate).
public enum GELU {
    @usableFromInline static let invSqrt2: Float = 0.707_106_781_186_547_5
    @usableFromInline static let invSqrt2Pi: Float = 0.398_942_280_401_432_7

    /// out = gelu(inp) elementwise. `out` may alias `inp`. On AVX-512 CPUs the C kernel
    /// (`embedtune_gelu_forward`: a table of the normal tail instead of `FastMath.erf`, equal to a few
    /// 1e-7) runs instead of the loop below.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (count)
        inp: UnsafePointer<Float>,  // (count)
        count: Int
    ) {
        precondition(count >= 0, "GELU.forward: negative count")
        if vectorKernel {
            embedtune_gelu_forward(inp, count, out)
        } else {
            portableForward(out: out, inp: inp, count: count)
        }
    }

    /// True when the AVX-512 kernel runs `forward`.
    static let vectorKernel = embedtune_gelu_available() != 0

    /// `forward` on `SIMD16` (any CPU); also the reference the C kernel is tested against.
    static func portableForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 16 <= count {
            out.store(value(inp.vector(at: i)), at: i)
            i += 16
        }
        if i < count { out.storeTail(value(inp.tail(at: i, count: count - i)), at: i, count: count - i) }
    }

    /// dinp += dout * gelu'(inp), gelu'(x) = Φ(x) + x φ(x); ACCUMULATED into `dinp`.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (count)
        inp: UnsafePointer<Float>,  // (count)
        dout: UnsafePointer<Float>,  // (count)
        count: Int
    ) {
        precondition(count >= 0, "GELU.backward: negative count")
        let fault = KernelFaults.scaleGELUBackward  // 1 except in tests (KernelFaults)
        var i = 0
        while i + 16 <= count {
            dinp.store(dinp.vector(at: i).addingProduct(dout.vector(at: i), derivative(inp.vector(at: i)) * fault), at: i)
            i += 16
        }
        if i < count {
            let r = count - i
            let d = dinp.tail(at: i, count: r).addingProduct(dout.tail(at: i, count: r), derivative(inp.tail(at: i, count: r)) * fault)
            dinp.storeTail(d, at: i, count: r)
        }
    }

    /// 0.5 x (1 + erf(x / √2))
    @inlinable @inline(__always)
    static func value(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let cdf = 0.5 * (1 + FastMath.erf(x * invSqrt2))
        return x * cdf
    }

    /// Φ(x) + x φ(x) with φ(x) = e^(-x²/2) / √(2π)
    @inlinable @inline(__always)
    static func derivative(_ x: SIMD16<Float>) -> SIMD16<Float> {
        let cdf = 0.5 * (1 + FastMath.erf(x * invSqrt2))
        let pdf = FastMath.exp(-0.5 * x * x) * invSqrt2Pi
        return cdf.addingProduct(x, pdf)
    }
}
