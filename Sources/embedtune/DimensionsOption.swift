import ArgumentParser
import Encoder

/// `--dimensions N` (Matryoshka truncation at inference, OpenAI's `dimensions`), shared by the
/// commands that embed text: embed, encode, eval and serve.
struct DimensionsOption: ParsableArguments {
    @Option(help: """
        Keep the first N values of each embedding and L2-normalise them (for models trained with \
        MatryoshkaLoss); 1 to the model's dimension (default: all of them).
        """)
    var dimensions: Int?

    /// `encoder` truncated to `--dimensions` (unchanged without it).
    func apply(to encoder: SentenceEncoder) throws -> SentenceEncoder {
        do {
            return try encoder.truncated(to: dimensions)
        } catch {
            throw DimensionsOptionError(requested: error.requested, modelDimension: error.modelDimension)
        }
    }
}

/// `--dimensions` outside 1...the model's dimension.
struct DimensionsOptionError: Error, CustomStringConvertible {
    var requested: Int
    var modelDimension: Int

    var description: String {
        "--dimensions \(requested) is out of range: the model's embeddings have \(modelDimension) values, "
            + "so it must be in 1...\(modelDimension)"
    }
}
