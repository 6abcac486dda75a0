import Foundation

/// An adapter directory may carry one Dense module trained with it (EmbedTune's Matryoshka rotation,
/// `MatryoshkaRotation`): `projection/`, in sentence-transformers' Dense layout (`DenseModule`), applied
/// after the base model's pooling and Dense modules, before Normalize. peft ignores the directory;
/// `embedtune merge` writes it into the merged model as a Dense module that sentence-transformers loads.
extension LoRAAdapter {
    /// The subdirectory of an adapter holding its projection.
    public static let projectionDirectoryName = "projection"

    /// The files of `adapterDirectory` holding weights: the adapter's, and its projection's when present.
    public static func weightFiles(in adapterDirectory: URL) -> [String] {
        var files = [adapterDirectory.appendingPathComponent(weightsFileName).path]
        let projection = adapterDirectory.appendingPathComponent(projectionDirectoryName)
        if FileManager.default.fileExists(atPath: projection.path) {
            files.append(projection.appendingPathComponent("model.safetensors").path)
        }
        return files
    }

    /// The adapter's projection, nil when it has none.
    public static func projection(in adapterDirectory: URL) throws -> DenseModule? {
        let projection = adapterDirectory.appendingPathComponent(projectionDirectoryName)
        guard FileManager.default.fileExists(atPath: projection.path) else { return nil }
        return try DenseModule(directory: projection)
    }

    /// `directory` with the adapter's projection appended to its Dense modules (unchanged without one).
    public static func withProjection(of adapterDirectory: URL, on directory: ModelDirectory) throws -> ModelDirectory {
        guard let module = try projection(in: adapterDirectory) else { return directory }
        return try directory.appendingDense(
            module, directory: adapterDirectory.appendingPathComponent(projectionDirectoryName))
    }
}
