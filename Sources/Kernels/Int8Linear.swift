import CSIMD

/// A frozen `Linear` in int8 for the forward-only inference path (`embedtune_int8_linear_forward`):
/// the weight (OC, C) quantised once per output channel (symmetric, scale max|w| / 127), each call's
/// input rows quantised per row (token) to unsigned 8 bits over [min(x, 0), max(x, 0)] with a scale
/// and zero point computed then, products summed exactly in int32 and scaled back to float32 with the
/// bias (and residual) added — dynamic quantization as in ONNX Runtime's `quantize_dynamic` with
/// per-channel weights, but per-row instead of per-tensor activation scales. AVX-512 VNNI where the
/// CPU has it, plain C otherwise, the same bits on every path; no backward.
///
/// Sizes: N tokens (rows), C input channels, OC output channels.
public final class Int8Linear: FrozenProduct, @unchecked Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// ceil(OC / 32) panels of ceil(C / 4) quads of 32 channels, and a copy of the caller's bias (OC;
    /// nil for none).
    private let storage: ProductStorage<Int8>
    /// (OC) each channel's weight scale.
    private let scales: [Float]
    /// (OC) each channel's sum of quantised weights (the zero point's correction).
    private let sums: [Int32]

    /// Quantises and packs `weight` (OC, C), copies `bias` (OC); keeps neither pointer.
    public init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures c: Int, outFeatures oc: Int) {
        precondition(c > 0 && oc > 0, "Int8Linear: bad sizes c \(c), oc \(oc)")
        inFeatures = c
        outFeatures = oc
        let storage = ProductStorage<Int8>(count: embedtune_int8_linear_bytes(oc, c), bias: bias, outFeatures: oc)
        var scales = [Float](repeating: 0, count: oc), sums = [Int32](repeating: 0, count: oc)
        embedtune_int8_linear_pack(weight, oc, c, storage.packed, &scales, &sums)
        self.storage = storage
        self.scales = scales
        self.sums = sums
    }

    /// out (N, OC) = activation(int8 product of inp (N, C) and the weight + bias (+ residual (N, OC),
    /// which may be `out`)), then `epilogue(lo, hi)` per part of the rows (`FrozenProduct`).
    public func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int = 1,
        residual: UnsafePointer<Float>? = nil, activation: PackedLinear.Activation = .identity,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)? = nil
    ) {
        let c = inFeatures, oc = outFeatures, storage = storage
        let bytes = embedtune_int8_linear_scratch_bytes(c)
        scales.withUnsafeBufferPointer { scales in
            sums.withUnsafeBufferPointer { sums in
                ProductRows.forEachPart(n: n, threads: threads, scratchBytes: bytes, epilogue: epilogue) { lo, hi, scratch in
                    embedtune_int8_linear_forward(
                        inp + lo * c, hi - lo, c, storage.packed, scales.baseAddress, sums.baseAddress, oc, storage.bias,
                        residual.map { $0 + lo * oc }, activation.code, out + lo * oc, scratch)
                }
            }
        }
    }
}
