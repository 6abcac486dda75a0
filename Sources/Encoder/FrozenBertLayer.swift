/// One `BertLayer` of the frozen inference path: its parameters, and each of its Linears ready for
/// inference (`FrozenLinear`, packed as `packing` says where the CPU runs `PackedLinear`, or in the
/// format `precision` gives each, `InferencePrecision.format(of:)`).
struct FrozenBertLayer: @unchecked Sendable {
    let weights: BertLayerParameters
    let linears: BertLinears<FrozenLinear>

    /// The parameters must not change afterwards (the packed copies would not follow).
    init(weights: BertLayerParameters, packing: LinearPacking = .forLargeCalls, precision: InferencePrecision = .fp32) {
        self.weights = weights
        linears = BertLinears { FrozenLinear(weights: weights[$0], packing: packing, precision: precision.format(of: $0)) }
    }
}
