import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a complete model directory that sentence-transformers and transformers load: the source
/// directory's configuration, tokenizer and module files, and `model.safetensors` holding the given
/// weights under Hugging Face names. Float tensors of the source file that the encoder does not use (a
/// pooler, say) are carried over unchanged.
public enum ModelDirectoryWriter {
    static let weightFiles: Set<String> = ["model.safetensors", "pytorch_model.bin", "model.safetensors.index.json"]

    /// Writes the directory into a temporary sibling of `destination` first and moves its files into
    /// `destination` only when all were written, so a failure (a full disk, say) leaves `destination` as
    /// it was and no partial directory behind. `destination` must not be, contain or lie inside the
    /// source model directory. `adding`: a Dense module to append to the source's (`addDense`).
    public static func write(
        parameters: BertParameters, from source: ModelDirectory, to destination: URL, adding dense: DenseModule? = nil
    ) throws {
        let fm = FileManager.default
        if let clash = OutputPaths.overlap(output: destination, input: source.url) {
            throw ModelLoadingError.malformedFile(file: destination.path, reason: clash + " the base model directory \(source.url.path)")
        }
        let temporary = destination.deletingLastPathComponent()
            .appendingPathComponent(".\(destination.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        try? fm.removeItem(at: temporary)
        defer { try? fm.removeItem(at: temporary) }
        try fm.createDirectory(at: temporary, withIntermediateDirectories: true)
        try copyFiles(from: source, to: temporary)
        try writeWeights(parameters: parameters, from: source, to: temporary)
        if let dense { try addDense(dense, from: source, to: temporary) }
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
        for name in try fm.contentsOfDirectory(atPath: temporary.path).sorted() {
            let target = destination.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            if fm.fileExists(atPath: target.path, isDirectory: &isDirectory), isDirectory.boolValue {
                try fm.removeItem(at: target)
            }
            // rename(2) replaces a file in one step.
            guard rename(temporary.appendingPathComponent(name).path, target.path) == 0 else {
                throw ModelLoadingError.malformedFile(
                    file: target.path, reason: "cannot be written: \(String(cString: strerror(errno)))")
            }
        }
    }

    /// The configuration, tokenizer and module files of `source` (not its weights, adapters or exported
    /// copies such as onnx/).
    static func copyFiles(from source: ModelDirectory, to destination: URL) throws {
        let fm = FileManager.default
        let sourcePath = source.url.standardizedFileURL.path
        guard let enumerator = fm.enumerator(at: source.url, includingPropertiesForKeys: [.isDirectoryKey]) else {
            throw ModelLoadingError.missingFile(source.url.path)
        }
        for case let file as URL in enumerator {
            let relative = String(file.standardizedFileURL.path.dropFirst(sourcePath.count + 1))
            if relative.hasPrefix("onnx") || relative.hasPrefix("openvino") || relative.hasPrefix(".") {
                enumerator.skipDescendants()
                continue
            }
            let isDirectory = (try? file.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) ?? false
            let target = destination.appendingPathComponent(relative)
            if isDirectory {
                try fm.createDirectory(at: target, withIntermediateDirectories: true)
            } else if !weightFiles.contains(relative) && !relative.hasPrefix("adapter_") {
                try fm.copyItem(at: file, to: target)
            }
        }
    }

    /// `model.safetensors`: the given weights and the source's unused float tensors.
    static func writeWeights(parameters: BertParameters, from source: ModelDirectory, to destination: URL) throws {
        var entries: [SafeTensorsWriter.Entry] = parameters.block.entries.map { entry in
            (entry.name, entry.shape,
             UnsafeBufferPointer(start: parameters.block.storage.pointer + entry.offset, count: entry.count))
        }
        let known = Set(entries.map(\.name))
        var carried: [[Float]] = []
        var carriedInfo: [(String, [Int])] = []
        if let original = try? SafeTensorsFile(url: source.weightsURL) {
            let prefix = original.names.contains("bert.embeddings.word_embeddings.weight") ? "bert." : ""
            for name in original.names {
                let bare = name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name
                guard !known.contains(bare), let info = original.info(name), info.dtype == .f32 else { continue }
                carried.append(try original.floats(name))
                carriedInfo.append((bare, info.shape))
            }
        }
        try withBuffers(carried) { buffers in
            for (i, buffer) in buffers.enumerated() { entries.append((carriedInfo[i].0, carriedInfo[i].1, buffer)) }
            try SafeTensorsWriter.write(
                entries, metadata: ["format": "pt"], to: destination.appendingPathComponent("model.safetensors"))
        }
    }

    /// Runs `body` with stable buffer pointers to every array.
    private static func withBuffers(
        _ arrays: [[Float]], _ body: ([UnsafeBufferPointer<Float>]) throws -> Void
    ) throws {
        let copies = arrays.map { array -> UnsafeMutableBufferPointer<Float> in
            let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: array.count)
            _ = buffer.initialize(from: array)
            return buffer
        }
        defer { copies.forEach { $0.deallocate() } }
        try body(copies.map { UnsafeBufferPointer($0) })
    }
}
