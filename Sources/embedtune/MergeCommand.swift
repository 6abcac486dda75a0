import ArgumentParser
import Encoder
import Foundation

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge a LoRA adapter into its base model and write a complete model directory.",
        discussion: "The result loads in sentence-transformers: SentenceTransformer(OUTPUT). An adapter's projection/ (the rotation of --matryoshka-dims training) becomes a Dense module of the merged model.")

    @Option(help: "Base model directory.") var model: String
    @Option(help: "peft LoRA adapter directory.") var adapter: String
    @Option(help: "Directory to write the merged model to (new or empty, an earlier merge's output, or see --overwrite).") var output: String
    @Flag(help: "Replace the model files of a non-empty --output directory.") var overwrite = false

    /// Written into --output after the model: what was merged ({"base_model": ..., "adapter": ...}, the
    /// paths as given). It marks the directory as this command's output, which a later merge may replace
    /// without --overwrite; sentence-transformers and transformers ignore the file.
    static let marker = "embedtune_merge.json"

    func run() throws {
        try OutputDirectoryCheck.check(
            output: output, inputs: [("--model", model), ("--adapter", adapter)], ownMarkers: [Self.marker], overwrite: overwrite)
        let directory = try ModelDirectory(url: URL(fileURLWithPath: model))
        let parameters = try directory.loadParameters()
        let adapterURL = URL(fileURLWithPath: adapter)
        let lora = try LoRAAdapter(directory: adapterURL, bert: parameters)
        lora.merge(into: parameters)
        let projection = try LoRAAdapter.projection(in: adapterURL)
        if let projection, projection.inFeatures != directory.embeddingDimension {
            throw ValidationError(
                "--adapter \(adapter): its \(LoRAAdapter.projectionDirectoryName)/ takes \(projection.inFeatures) values, "
                    + "but the model's embeddings have \(directory.embeddingDimension)")
        }
        try ModelDirectoryWriter.write(
            parameters: parameters, from: directory, to: URL(fileURLWithPath: output), adding: projection)
        let record = "{\"base_model\": \(JSONStringLiteral.make(model)), \"adapter\": \(JSONStringLiteral.make(adapter))}\n"
        let writer = try AtomicFileWriter(destination: URL(fileURLWithPath: output).appendingPathComponent(Self.marker))
        try writer.write(Array(record.utf8))
        try writer.commit()
        let extra = projection == nil ? "" : ", its projection added as a Dense module"
        ProgressDisplay.write("merge: wrote \(output) (\(lora.targetCount) Linears merged, scale \(lora.scale)\(extra))\n")
    }
}
