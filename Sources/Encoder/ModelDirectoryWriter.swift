import Foundation

/// Writes a complete model directory that sentence-transformers and transformers load: the source
/// directory's configuration, tokenizer and module files, and `model.safetensors` holding the given
/// weights under Hugging Face names. Float tensors of the source file that the encoder does not use (a
/// pooler, say) are carried over unchanged.
public enum ModelDirectoryWriter {
    static let weightFiles: Set<String> = ["model.safetensors", "pytorch_model.bin", "model.safetensors.index.json"]

    public static func write(parameters: BertParameters, from source: ModelDirectory, to destination: URL) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: destination, withIntermediateDirectories: true)
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
                try? fm.removeItem(at: target)
                try fm.copyItem(at: file, to: target)
            }
        }
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
