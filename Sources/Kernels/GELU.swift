import CSIMD

/// The exact (erf) Gaussian error linear unit, HF `ACT2FN["gelu"]` (torch.nn.functional.gelu with
/// approximate="none"): gelu(x) = x Φ(x) = 0.5 x (1 + erf(x / √2)).
///
/// Sizes: `count` elements of any shape (the FFN's (N, 4C) intermediate).
public enum GELU {
    /// out = gelu(inp) elementwise, Φ from a piecewise polynomial of the normal tail (error ≤ 4e-8,
    /// the C kernels' gelu_table.h). `out` may alias `inp`. On AVX-512 CPUs `embedtune_gelu_forward`
    /// runs (its lookups by permutes) instead of `portableForward`; both give the same bits.
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
    static var vectorKernel: Bool { embedtune_gelu_available() != 0 }

    /// `forward` through the vector kernels (any CPU); also the reference the AVX-512 kernel is
    /// tested against.
    static func portableForward(out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, count: Int) {
        embedtune_gelu_reference_forward(inp, count, out)
    }

    /// out = gelu(inp) and derivative = gelu'(inp) elementwise, the bits of `forward` and of the
    /// derivative `backward` computes: a training forward that keeps the derivative for
    /// `backward(derivative:)` instead of its input. `derivative` may alias `inp`.
    public static func forwardKeepingDerivative(
        out: UnsafeMutablePointer<Float>,  // (count)
        derivative: UnsafeMutablePointer<Float>,  // (count)
        inp: UnsafePointer<Float>,  // (count)
        count: Int
    ) {
        precondition(count >= 0, "GELU.forwardKeepingDerivative: negative count")
        embedtune_gelu_keeping_derivative(inp, count, out, derivative)
    }

    /// `backward` from the derivative `forwardKeepingDerivative` kept: the same bits.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (count)
        derivative: UnsafePointer<Float>,  // (count)
        dout: UnsafePointer<Float>,  // (count)
        count: Int, overwrite: Bool = false
    ) {
        precondition(count >= 0, "GELU.backward: negative count")
        embedtune_gelu_backward_saved(dinp, derivative, dout, count, KernelFaults.scaleGELUBackward, overwrite ? 1 : 0)
    }

    /// dinp += dout * gelu'(inp), gelu'(x) = Φ(x) + x φ(x); ACCUMULATED into `dinp`, or written over
    /// it (not read) with `overwrite`.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (count)
        inp: UnsafePointer<Float>,  // (count)
        dout: UnsafePointer<Float>,  // (count)
        count: Int, overwrite: Bool = false
    ) {
        precondition(count >= 0, "GELU.backward: negative count")
        // fault: 1 except in tests
        embedtune_gelu_backward(dinp, inp, dout, count, KernelFaults.scaleGELUBackward, overwrite ? 1 : 0)
    }
}
