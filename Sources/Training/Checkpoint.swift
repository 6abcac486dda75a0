import Encoder
import Foundation
import Tensor
import Tokenizer

/// A resumable snapshot of a run, in `<output>/checkpoint/`: the trainable parameters, the optimizer's
/// buffers and step, and the run's position and configuration. It is written to a temporary directory
/// and then renamed into place, so a run killed while saving leaves the previous checkpoint intact. A run
/// with a Matryoshka rotation keeps it in `rotation/`, so a resumed run trains under the very same one.
public struct Checkpoint {
    public struct State: Codable, Equatable {
        public var globalStep: Int
        public var optimizerStep: Int
        public var configuration: TrainingConfiguration
        public var baseFingerprint: UInt64
        /// The evaluations so far (nil before any, and in checkpoints of older versions).
        public var selection: ModelSelection? = nil
        /// The training pairs' fingerprint (nil in checkpoints of older versions).
        public var dataFingerprint: String? = nil
    }

    public static func directory(in output: URL) -> URL { output.appendingPathComponent("checkpoint") }

    /// Writes the snapshot atomically (temp directory, then rename).
    public static func save(
        state: State, trainable: ParameterBlock, optimizer: OptimizerState, best: [Float]? = nil,
        rotation: DenseModule? = nil, output: URL
    ) throws {
        let fm = FileManager.default
        let final = directory(in: output)
        let temporary = output.appendingPathComponent("checkpoint.tmp-\(ProcessInfo.processInfo.processIdentifier)")
        let old = output.appendingPathComponent("checkpoint.old")
        try? fm.removeItem(at: temporary)
        // Whatever happens below (a full disk, say), no partial snapshot stays behind.
        defer { try? fm.removeItem(at: temporary) }
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        try SafeTensorsWriter.write(
            [("parameters", [trainable.storage.count], UnsafeBufferPointer(trainable.storage.buffer))],
            metadata: nil, to: temporary.appendingPathComponent("trainable.safetensors"))
        if let best {
            try best.withUnsafeBufferPointer { weights in
                try SafeTensorsWriter.write([("parameters", [weights.count], weights)], metadata: nil,
                                            to: temporary.appendingPathComponent("best.safetensors"))
            }
        }
        try rotation?.save(directory: temporary.appendingPathComponent("rotation"))
        let buffers = optimizer.buffers.sorted { $0.key < $1.key }.map { entry in
            (name: entry.key, shape: [entry.value.count], values: UnsafeBufferPointer(entry.value.buffer))
        }
        try SafeTensorsWriter.write(buffers, metadata: nil, to: temporary.appendingPathComponent("optimizer.safetensors"))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(state).write(to: temporary.appendingPathComponent("state.json"), options: .atomic)
        try? fm.removeItem(at: old)
        if fm.fileExists(atPath: final.path) { try fm.moveItem(at: final, to: old) }
        try fm.moveItem(at: temporary, to: final)
        try? fm.removeItem(at: old)
    }

    /// Reads the newest complete snapshot into `trainable` and returns its state, optimizer buffers,
    /// the best evaluation's weights (when kept) and the rotation (when trained under one), or nil when the
    /// output directory has none.
    public static func load(
        output: URL, into trainable: ParameterBlock
    ) throws -> (state: State, optimizer: OptimizerState, best: [Float]?, rotation: DenseModule?)? {
        let fm = FileManager.default
        var dir = directory(in: output)
        if !fm.fileExists(atPath: dir.path) {
            // A run killed between the two renames of `save` leaves only the previous snapshot.
            dir = output.appendingPathComponent("checkpoint.old")
            if !fm.fileExists(atPath: dir.path) { return nil }
        }
        let stateURL = dir.appendingPathComponent("state.json")
        let state: State
        do { state = try JSONDecoder().decode(State.self, from: FileContents.read(stateURL)) } catch {
            throw TrainingError.checkpoint(path: stateURL.path, reason: "unreadable (\(error)); remove the checkpoint or use a new --output")
        }
        guard state.globalStep >= 0, state.optimizerStep >= 0 else {
            throw TrainingError.checkpoint(
                path: stateURL.path, reason: "records a negative step (\(state.globalStep), \(state.optimizerStep))")
        }
        let weights = try SafeTensorsFile(url: dir.appendingPathComponent("trainable.safetensors"))
        guard weights.info("parameters")?.shape == [trainable.storage.count] else {
            throw TrainingError.checkpoint(path: weights.url.path, reason: "does not fit this model and adapter")
        }
        try weights.read("parameters", into: trainable.storage.buffer)
        let optimizerFile = try SafeTensorsFile(url: dir.appendingPathComponent("optimizer.safetensors"))
        var buffers: [String: Tensor] = [:]
        for name in optimizerFile.names { buffers[name] = try optimizerFile.tensor(name) }
        var best: [Float]?
        let bestURL = dir.appendingPathComponent("best.safetensors")
        if fm.fileExists(atPath: bestURL.path) {
            let file = try SafeTensorsFile(url: bestURL)
            guard file.info("parameters")?.shape == [trainable.storage.count] else {
                throw TrainingError.checkpoint(path: bestURL.path, reason: "does not fit this model and adapter")
            }
            var values = [Float](repeating: 0, count: trainable.storage.count)
            try values.withUnsafeMutableBufferPointer { try file.read("parameters", into: $0) }
            best = values
        }
        let rotationURL = dir.appendingPathComponent("rotation")
        let rotation = fm.fileExists(atPath: rotationURL.path) ? try DenseModule(directory: rotationURL) : nil
        return (state, OptimizerState(step: state.optimizerStep, buffers: buffers), best, rotation)
    }
}
