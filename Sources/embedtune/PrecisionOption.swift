import ArgumentParser
import Encoder

extension InferencePrecision: ExpressibleByArgument {}

/// `--precision fp32|bf16|int8`, the format of the encoder's matrix products (`InferencePrecision`),
/// shared by the commands that embed text: embed, encode, eval and serve.
struct PrecisionOption: ParsableArguments {
    @Option(help: """
        Format of the model's matrix products: fp32 (default), bf16 (bfloat16 with float32 sums) or int8 \
        (int8 with int32 sums, per-channel weight and per-token input scales). Attention, LayerNorm and GELU \
        stay float32. A database records it with the model: its vectors never mix precisions.
        """)
    var precision: InferencePrecision?
}
