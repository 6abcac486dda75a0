import ArgumentParser
import Encoder
import Foundation

/// Options shared by every subcommand that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(help: "A Hugging Face / sentence-transformers model directory.") var model: String
    @Option(help: "A peft LoRA adapter directory, merged into the model at load.") var adapter: String?
    @Option(parsing: .unconditional, help: "Truncate inputs at N tokens instead of the model's max_seq_length.") var maxLength: Int?
    @Option(parsing: .unconditional, help: "CPU threads (default: all cores).") var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    func validate() throws {
        if let maxLength, maxLength < 2 { throw ValidationError("--max-length must be at least 2") }
        guard threads > 0 else { throw ValidationError("--threads must be positive") }
    }

    /// The encoder, its matrix products in `precision`.
    /// `packing`: `.atLoad` for a batch job whose vectors must not depend on which documents share a
    /// batch (every product then runs the one packed kernel, row by row the same arithmetic).
    func loadEncoder(precision: InferencePrecision = .fp32, packing: LinearPacking = .forLargeCalls) throws -> SentenceEncoder {
        try SentenceEncoder(
            modelDirectory: URL(fileURLWithPath: model), adapterDirectory: adapter.map { URL(fileURLWithPath: $0) },
            maxLength: maxLength, packing: packing, precision: precision)
    }
}
