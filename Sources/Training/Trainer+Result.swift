import Encoder
import Foundation

/// What a run leaves behind: the weights as an encoder (for evaluation) and the output directory.
extension Trainer {
    /// The current weights as a frozen encoder (LoRA merged into a copy of the base weights).
    public func inferenceEncoder() throws -> SentenceEncoder {
        let copy = BertParameters(config: model.parameters.config)
        copy.block.copy(from: model.parameters.block)
        model.adapter?.merge(into: copy)
        return SentenceEncoder(directory: try resultDirectory(), parameters: copy)
    }

    /// The base model directory with the rotation, if any, after its Dense modules.
    func resultDirectory() throws -> ModelDirectory {
        guard let rotation else { return directory }
        return try directory.appendingDense(rotation, directory: nil)
    }

    /// The adapter (peft layout) or, for full fine-tuning, a complete model directory, into `output`.
    func writeResult() throws {
        if let adapter = model.adapter {
            try adapter.save(directory: output)
            let projection = output.appendingPathComponent(LoRAAdapter.projectionDirectoryName)
            if let rotation {
                try rotation.save(directory: projection)
            } else if FileManager.default.fileExists(atPath: projection.path) {
                try FileManager.default.removeItem(at: projection)  // an earlier run's, not this adapter's
            }
        } else {
            try ModelDirectoryWriter.write(parameters: model.parameters, from: directory, to: output, adding: rotation)
        }
    }
}
