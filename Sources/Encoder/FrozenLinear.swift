import Kernels
import Tensor

/// Work on rows lo..<hi of a product's output, run right after the product (a LayerNorm).
typealias RowEpilogue = (_ lo: Int, _ hi: Int) -> Void

/// One Linear of the frozen inference path. In float32: `PackedLinear` (AVX-512 or AVX2) when the CPU runs
/// it and the call is large enough to be worth packing for (`LinearPacking`), else `Linear` (OpenBLAS)
/// on the weights as they lie. In bf16 or int8 (`InferencePrecision`): that format's product
/// (`BF16Linear`, `Int8Linear`), converted at init and used by every call whatever its size. No adapter (an adapter is merged before inference), no dropout, nothing kept
/// for backward. The two paths agree to float rounding, not bit for bit.
///
/// Sizes: N tokens, C input channels, OC output channels.
struct FrozenLinear: @unchecked Sendable {
    let weights: LinearParameters
    let packing: LinearPacking
    /// The format of the products: fp32 runs `packed` or OpenBLAS, the others `reduced`.
    let precision: InferencePrecision
    /// The bf16 or int8 product, made at init; nil in fp32.
    private let reduced: (any FrozenProduct)?
    /// Made once, by the first call that runs packed; nil where the CPU (or EMBEDTUNE_CPU) rules out
    /// both of its kernels.
    private let packed: OnceValue<PackedLinear?>

    /// Rows from which a call runs packed under `LinearPacking.forLargeCalls`. Measured with
    /// all-MiniLM-L6-v2 (AMD EPYC Zen 4): packing a layer costs what one call of about 1,000 rows
    /// saves, so a one-off query of one sequence (up to 256 tokens here) is faster on OpenBLAS; a batch
    /// job's calls (32 sentences, 300 rows and more) pay for it in their first few.
    static let packingRows = 384

    /// The weights must not change afterwards (a packed or converted copy would not follow).
    init(weights: LinearParameters, packing: LinearPacking, precision: InferencePrecision = .fp32) {
        self.weights = weights
        self.packing = packing
        self.precision = precision
        reduced = precision.product(of: weights)
        packed = OnceValue {
            PackedLinear(
                weight: weights.weight, bias: weights.bias, inFeatures: weights.inFeatures,
                outFeatures: weights.outFeatures)
        }
        if packing == .atLoad && reduced == nil { _ = packed.value }
    }

    /// Whether the packed copy exists.
    var isPacked: Bool { PackedLinear.isAvailable && packed.isMade }

    /// The packed kernel for a call of `n` rows (packing now if it is the first), or nil for OpenBLAS.
    private func packedKernel(rows n: Int) -> PackedLinear? {
        guard PackedLinear.isAvailable, packing == .atLoad || n >= FrozenLinear.packingRows else { return nil }
        return packed.value
    }

    /// out (N, OC) = activation(inp (N, C) W^T + b (+ residual (N, OC))), then `epilogue` over the rows.
    /// The packed kernel adds the residual and applies the activation in its accumulators and runs
    /// `epilogue` per row block while the rows are in cache; `Linear` adds and activates after the
    /// product and runs `epilogue` once over (0, n).
    func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int,
        residual: UnsafePointer<Float>? = nil, activation: PackedLinear.Activation = .identity,
        epilogue: RowEpilogue? = nil
    ) {
        if let reduced {
            reduced.forward(
                out: out, inp: inp, n: n, threads: threads, residual: residual, activation: activation,
                epilogue: epilogue)
            return
        }
        if let packed = packedKernel(rows: n) {
            packed.forward(
                out: out, inp: inp, n: n, threads: threads, residual: residual, activation: activation,
                epilogue: epilogue)
            return
        }
        let oc = weights.outFeatures
        Linear.forward(
            out: out, inp: inp, weight: weights.weight, bias: weights.bias, n: n, c: weights.inFeatures, oc: oc,
            context: ComputeContext(threads: threads))
        if let residual { VectorOps.add(residual, into: out, n * oc) }
        switch activation {
        case .identity: break
        case .gelu: GELU.forward(out: out, inp: out, count: n * oc)
        }
        epilogue?(0, n)
    }
}
