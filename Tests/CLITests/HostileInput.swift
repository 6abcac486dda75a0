import Foundation
import Testing

/// Helpers of the hostile-input tests: copies of the tiny model to break, a small BEIR directory, and
/// the check every hostile case shares (a clear error, never a signal).
enum HostileInput {
    /// A private copy of the tiny fixture model in `dir`, with `edit` applied to the named JSON files.
    static func tinyModel(in dir: Scratch, name: String = "model", edits: [String: [String: Any]] = [:]) throws -> String {
        let target = dir.url.appendingPathComponent(name)
        try FileManager.default.copyItem(at: Repository.tinyModel, to: target)
        for (file, fields) in edits {
            let url = target.appendingPathComponent(file)
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
            for (key, value) in fields { object[key] = value }
            try JSONSerialization.data(withJSONObject: object).write(to: url)
        }
        return target.path
    }

    /// A copy of the tiny fixture adapter in `dir`, with `edits` applied to adapter_config.json.
    static func tinyAdapter(in dir: Scratch, edits: [String: Any] = [:]) throws -> String {
        let source = Repository.root.appendingPathComponent("Tests/TrainingTests/Fixtures/tiny_adapter")
        let target = dir.url.appendingPathComponent("adapter")
        try FileManager.default.copyItem(at: source, to: target)
        let url = target.appendingPathComponent("adapter_config.json")
        var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        for (key, value) in edits { object[key] = value }
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return target.path
    }

    /// Overwrites the first value of tensor `name` in a safetensors file with `value`.
    static func poison(safetensors path: String, tensor name: String, with value: Float) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        let headerLength = bytes[0..<8].enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try JSONSerialization.jsonObject(with: Data(bytes[8..<(8 + headerLength)])) as? [String: Any]
        guard let entry = header?[name] as? [String: Any], let offsets = entry["data_offsets"] as? [Int] else {
            throw CLITestError("\(path) has no tensor \(name)")
        }
        let start = 8 + headerLength + offsets[0]
        withUnsafeBytes(of: value.bitPattern.littleEndian) { for (i, b) in $0.enumerated() { bytes[start + i] = b } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    /// A BEIR directory of 12 documents and 3 queries; `qrels` replaces the test split's rows.
    static func beir(in dir: Scratch, qrels: String? = nil) throws -> String {
        let root = dir.url.appendingPathComponent("beir")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("qrels"), withIntermediateDirectories: true)
        let texts = generatedLines(12, seed: 5).split(separator: "\n")
        let corpus = texts.enumerated().map { "{\"_id\": \"d\($0.offset)\", \"title\": \"\", \"text\": \"\($0.element)\"}" }
        try Data((corpus.joined(separator: "\n") + "\n").utf8).write(to: root.appendingPathComponent("corpus.jsonl"))
        let queries = (0..<3).map { "{\"_id\": \"q\($0)\", \"text\": \"\(texts[$0 * 3].prefix(20))\"}" }
        try Data((queries.joined(separator: "\n") + "\n").utf8).write(to: root.appendingPathComponent("queries.jsonl"))
        let rows = qrels ?? "query-id\tcorpus-id\tscore\nq0\td0\t1\nq1\td3\t1\nq2\td6\t1\n"
        try Data(rows.utf8).write(to: root.appendingPathComponent("qrels/test.tsv"))
        return root.path
    }

    /// Every file under `path` with its bytes, to show that a refused command changed nothing.
    static func snapshot(_ path: String) throws -> [String: Data] {
        var files: [String: Data] = [:]
        let root = URL(fileURLWithPath: path)
        guard let walk = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return files }
        for case let url as URL in walk where !url.hasDirectoryPath {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                files[url.path] = try Data(contentsOf: url)
            }
        }
        return files
    }
}

extension ProcessResult {
    /// A refusal a user can act on: a non-zero exit (not a signal), an error message naming `what`, and
    /// none of Foundation's raw error texts.
    func expectRefusal(naming what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!signalled, "ended by signal \(status): \(stderr)", sourceLocation: sourceLocation)
        #expect(status != 0, "exit 0, expected a refusal naming \(what)", sourceLocation: sourceLocation)
        #expect(stderr.contains(what), "stderr does not name \(what): \(stderr)", sourceLocation: sourceLocation)
        for raw in ["NSCocoaErrorDomain", "error 256", "Fatal error", "The operation could not be completed"] {
            #expect(!stderr.contains(raw), "raw error text \(raw): \(stderr)", sourceLocation: sourceLocation)
        }
    }
}
