/// One `BertLayer` of the frozen inference path: its parameters, and each of its Linears ready for
/// inference (`FrozenLinear`: packed once where the CPU runs `PackedLinear`).
struct FrozenBertLayer: @unchecked Sendable {
    let weights: BertLayerParameters
    let linears: BertLinears<FrozenLinear>

    /// The parameters must not change afterwards (the packed copies would not follow).
    init(weights: BertLayerParameters) {
        self.weights = weights
        linears = BertLinears { FrozenLinear(weights: weights[$0]) }
    }
}
