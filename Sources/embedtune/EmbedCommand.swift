import ArgumentParser
import Encoder
import Foundation

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed one text per line of standard input.",
        discussion: """
            Every input line, empty ones included, gives one output line in the same order:
            {"embedding":[...]} as JSON lines on standard output, or with --output F.npy one row of a float32
            .npy array of shape [n, dim]. Bytes that are not valid UTF-8 are replaced with U+FFFD, which the
            tokenizer then drops (as Python's errors="replace" followed by the BERT normalizer does).
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var precision: PrecisionOption
    @OptionGroup var truncation: DimensionsOption
    @OptionGroup var prompts: PromptOptions
    @Option(parsing: .unconditional, help: "Sequences per forward pass.") var batchSize: Int = 32
    @Option(help: "Write a float32 .npy array of shape [n, dim] here instead of JSON lines.") var output: String?
    @Option(parsing: .unconditional, help: .hidden) var benchmarkRepeats: Int = 0

    func validate() throws {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
    }

    func run() throws {
        if let output {
            let inputs = [("--model", model.model)] + (model.adapter.map { [("--adapter", $0)] } ?? [])
            try OutputDirectoryCheck.apart(output: output, inputs: inputs)
            try OutputDirectoryCheck.directoryExists(for: output)
        }
        let encoder = try truncation.apply(to: model.loadEncoder(precision: precision.precision ?? .fp32))
        // No role: like SentenceTransformer.encode, the model's default_prompt_name applies unless one is given.
        let lines = ModelPrompts.apply(try prompts.resolve(encoder.directory, role: nil), to: try StandardInput.readLines())
        if benchmarkRepeats > 0 {
            try Benchmark.encode(encoder, lines, batchSize: batchSize, threads: model.threads, repeats: benchmarkRepeats)
            return
        }
        let embeddings = encoder.encode(lines, batchSize: batchSize, threads: model.threads)
        if let row = NonFiniteEmbedding.firstRow(embeddings, dimension: encoder.dimension) {
            throw NonFiniteEmbedding(input: "line \(row + 1) of standard input")
        }
        if let output {
            try embeddings.withUnsafeBufferPointer {
                try NPYWriter.write(rows: lines.count, cols: encoder.dimension, values: $0,
                                    to: URL(fileURLWithPath: output))
            }
        } else {
            var out = OutputBuffer(fileDescriptor: 1)
            let d = encoder.dimension
            for i in lines.indices {
                out.append("{\"embedding\":[")
                for j in 0..<d {
                    if j > 0 { out.append(UInt8(ascii: ",")) }
                    out.append(float: embeddings[i * d + j])
                }
                out.append("]}\n")
                try out.flushIfFull()
            }
            try out.flush()
        }
        ExitWithoutTeardown.now()
    }
}
