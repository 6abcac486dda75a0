import CSIMD

/// A frozen `Linear` in int8 for the forward-only inference path (`embedtune_int8_linear_forward`):
/// dynamic quantization as in ONNX Runtime's `quantize_dynamic` with per-channel weights, but with
/// per-row (token) activation scales and two guards against outliers (include/int8_linear.h):
/// - the input channels are smoothed by t_j = sqrt(max|w[:, j]| / mean), from the weights alone
///   (x' = x t, w' = w / t), so that a few columns of large weights do not coarsen every channel's
///   scale — all-MiniLM-L6-v2's FFN down-projection loses most of its int8 accuracy there;
/// - each row's 4 largest |x'| are left out of its range and added back in float32 — the hidden
///   states' outlier channels (all-MiniLM-L6-v2: channel 62, about 7 where the rest stay below 1.5)
///   otherwise set the step of every token.
/// The smoothed weight (OC, C) is quantised once per output channel (symmetric, scale max|w'| / 127),
/// each call's input rows to unsigned 8 bits with a scale and zero point computed then, products
/// summed exactly in int32 and scaled back to float32 with the outliers, bias (and residual) added.
/// AVX-512 VNNI where the CPU has it, else AVX2 (exact 16-bit pair products), else plain C, the same bits on every
/// path; no backward.
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
    /// (C) the smoothing factor t of each input channel.
    let smoothing: [Float]
    /// (C, OC padded to 32) w'^T in float32, the weights of the outliers.
    private let outlierWeights: [Float]

    /// Quantises and packs `weight` (OC, C), copies `bias` (OC); keeps neither pointer.
    public init(weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, inFeatures c: Int, outFeatures oc: Int) {
        precondition(c > 0 && oc > 0, "Int8Linear: bad sizes c \(c), oc \(oc)")
        inFeatures = c
        outFeatures = oc
        let storage = ProductStorage<Int8>(count: embedtune_int8_linear_bytes(oc, c), bias: bias, outFeatures: oc)
        var scales = [Float](repeating: 0, count: oc), sums = [Int32](repeating: 0, count: oc)
        var smoothing = [Float](repeating: 1, count: c)
        var outlierWeights = [Float](repeating: 0, count: embedtune_int8_linear_outlier_weights_count(oc, c))
        embedtune_int8_linear_pack(weight, oc, c, storage.packed, &scales, &sums, &smoothing, &outlierWeights)
        self.storage = storage
        self.scales = scales
        self.sums = sums
        self.smoothing = smoothing
        self.outlierWeights = outlierWeights
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
                smoothing.withUnsafeBufferPointer { smoothing in
                    outlierWeights.withUnsafeBufferPointer { outlierWeights in
                        ProductRows.forEachPart(n: n, threads: threads, scratchBytes: bytes, epilogue: epilogue) {
                            lo, hi, scratch in
                            embedtune_int8_linear_forward(
                                inp + lo * c, hi - lo, c, storage.packed, scales.baseAddress, sums.baseAddress, oc,
                                storage.bias, residual.map { $0 + lo * oc }, activation.code, out + lo * oc, scratch,
                                smoothing.baseAddress, outlierWeights.baseAddress)
                        }
                    }
                }
            }
        }
    }
}
