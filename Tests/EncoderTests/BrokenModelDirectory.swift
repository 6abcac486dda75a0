import Foundation
import Testing
@testable import Encoder

/// A copy of the tiny model directory (Fixtures/tiny_bert) in a fresh temporary folder, broken one thing
/// at a time; removed when the test ends.
final class BrokenModelDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("embedtune-model-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.copyItem(at: Fixtures.tinyBert, to: url)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func remove(_ name: String) throws { try FileManager.default.removeItem(atPath: path(name)) }

    func write(_ text: String, to name: String) throws {
        try Data(text.utf8).write(to: url.appendingPathComponent(name))
    }

    /// Rewrites a JSON object file after `edit` changes its top-level fields.
    func editJSON(_ name: String, _ edit: (inout [String: Any]) -> Void) throws {
        let file = url.appendingPathComponent(name)
        guard var object = try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: file)
    }

    /// Rewrites model.safetensors with `edit` applied to the (name, shape, values) of every tensor.
    func editWeights(_ edit: (inout [(name: String, shape: [Int], values: [Float])]) -> Void) throws {
        let file = try SafeTensorsFile(url: url.appendingPathComponent("model.safetensors"))
        var tensors = try file.names.map { (name: $0, shape: file.info($0)?.shape ?? [], values: try file.floats($0)) }
        edit(&tensors)
        try writeWeights(tensors)
    }

    private func writeWeights(_ tensors: [(name: String, shape: [Int], values: [Float])], index: Int = 0,
                              entries: [SafeTensorsWriter.Entry] = []) throws {
        // Keeps every tensor's buffer pinned while the writer runs.
        guard index < tensors.count else {
            let out = url.appendingPathComponent("model.safetensors")
            try FileManager.default.removeItem(at: out)
            try SafeTensorsWriter.write(entries, metadata: ["format": "pt"], to: out)
            return
        }
        try tensors[index].values.withUnsafeBufferPointer { values in
            try writeWeights(tensors, index: index + 1, entries: entries + [(tensors[index].name, tensors[index].shape, values)])
        }
    }

    /// What loading the whole encoder (directory files, then weights) throws, or nil if it loads.
    func loadError() -> Error? {
        do {
            _ = try SentenceEncoder(modelDirectory: url)
            return nil
        } catch {
            return error
        }
    }
}

/// Checks that loading fails with a `ModelLoadingError` whose description names `file` (a path inside
/// the directory) and each of `mentioning`; returns the error for closer checks.
@discardableResult
func expectModelLoadingError(
    _ directory: BrokenModelDirectory, file: String, mentioning words: [String] = [],
    sourceLocation: SourceLocation = #_sourceLocation
) -> ModelLoadingError? {
    guard let error = directory.loadError() else {
        Issue.record("the broken directory loaded without an error", sourceLocation: sourceLocation)
        return nil
    }
    guard let loadingError = error as? ModelLoadingError else {
        Issue.record("expected a ModelLoadingError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
        return nil
    }
    let text = loadingError.description
    #expect(text.contains(directory.path(file)), "\(text) does not name \(file)", sourceLocation: sourceLocation)
    for word in words {
        #expect(text.contains(word), "\(text) does not mention \(word)", sourceLocation: sourceLocation)
    }
    return loadingError
}
