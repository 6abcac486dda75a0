import Foundation
import Kernels
import Tokenizer

/// A written model directory with one more Dense module than its source (a Matryoshka rotation): the
/// module's directory, and `modules.json` listing it after the source's Pooling and Dense modules and
/// before Normalize, so that `SentenceTransformer(OUTPUT)` applies it.
extension ModelDirectoryWriter {
    /// Writes `module` into `destination` (the directory being assembled from `source`) and the
    /// `modules.json` that includes it.
    static func addDense(_ module: DenseModule, from source: ModelDirectory, to destination: URL) throws {
        let modulesURL = source.url.appendingPathComponent("modules.json")
        var entries: [[String: Any]]
        if FileManager.default.fileExists(atPath: modulesURL.path) {
            let data = try FileContents.read(modulesURL)
            guard let list = try JSONSerialization.jsonObject(with: data) as? [[String: Any]] else {
                throw ModelLoadingError.malformedFile(file: modulesURL.path, reason: "is not a list of modules")
            }
            entries = list
        } else {
            // A plain transformers checkpoint: sentence-transformers' implicit pipeline, written out.
            try writePooling(source.pooling, dimension: source.config.hiddenSize, to: destination.appendingPathComponent("1_Pooling"))
            entries = [
                ["idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"],
                ["idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"],
            ]
        }
        let isNormalize = { (entry: [String: Any]) in ((entry["type"] as? String) ?? "").hasSuffix("Normalize") }
        let position = entries.firstIndex(where: isNormalize) ?? entries.count
        let taken = Set(entries.compactMap { $0["path"] as? String })
        var path = "\(position)_Dense"
        while taken.contains(path) { path += "_" }
        entries.insert(["path": path, "type": "sentence_transformers.models.Dense"], at: position)
        for i in entries.indices {
            entries[i]["idx"] = i
            entries[i]["name"] = String(i)
        }
        try module.save(directory: destination.appendingPathComponent(path))
        let json = try JSONSerialization.data(withJSONObject: entries, options: [.prettyPrinted, .sortedKeys])
        try json.write(to: destination.appendingPathComponent("modules.json"), options: .atomic)
    }

    /// `1_Pooling/config.json` for `mode` over `dimension`-value token embeddings.
    private static func writePooling(_ mode: PoolingMode, dimension: Int, to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(PoolingConfig(mode: mode, dimension: dimension))
            .write(to: directory.appendingPathComponent("config.json"), options: .atomic)
    }
}
