/// When the frozen model lays out its Linears for the AVX-512 packed kernel (`FrozenLinear`).
/// Packing copies every weight into panels, which costs as much as the packed kernel saves over
/// OpenBLAS in several calls; either way a call's path depends only on its own size, so the same
/// call gives the same bits whatever ran before.
public enum LinearPacking: Sendable {
    /// Calls of at least `FrozenLinear.packingRows` rows run packed (packing on the first of them);
    /// smaller calls — a query of a sentence or two — run OpenBLAS on the weights as they lie.
    /// For one-off work: a command that embeds a query and exits never packs.
    case forLargeCalls
    /// Every Linear is packed when the model is made and every call runs packed: for a long-lived
    /// encoder answering small requests (the service).
    case atLoad
}
