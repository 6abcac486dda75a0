import Foundation
import Testing

/// Paths the CLI tests use, all found from this file's location.
enum Repository {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The random 2-layer BERT written by scripts/reference/encoder_fixtures.py (vocab.txt tokenizer).
    static let tinyModel = root.appendingPathComponent("Tests/EncoderTests/Fixtures/tiny_bert")
    /// The default model, fetched by scripts/setup.sh (which the test command runs first).
    static let miniLM = root.appendingPathComponent("models/all-MiniLM-L6-v2")

    /// The `embedtune` executable to test: the newest of `<scratch>/{release,debug}/embedtune` for every
    /// build directory at the repository root (`.build`, `.build-*`, ...) and next to the running test
    /// executable. Tests fail (not skip) when none exists.
    static func binary() throws -> URL {
        let fm = FileManager.default
        var candidates: [URL] = []
        let entries = (try? fm.contentsOfDirectory(atPath: root.path)) ?? []
        for name in entries.sorted() where name.hasPrefix(".build") {
            for configuration in ["release", "debug"] {
                candidates.append(root.appendingPathComponent(name).appendingPathComponent(configuration)
                    .appendingPathComponent("embedtune"))
            }
        }
        if let runner = Bundle.main.executableURL {
            candidates.append(runner.deletingLastPathComponent().appendingPathComponent("embedtune"))
        }
        var newest: (url: URL, date: Date)?
        for url in candidates where fm.isExecutableFile(atPath: url.path) {
            let date = (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
            if newest.map({ date > $0.date }) ?? true { newest = (url, date) }
        }
        guard let newest else {
            throw CLITestError("no embedtune executable among \(candidates.map(\.path)); run `swift build` first")
        }
        return newest.url
    }
}

struct CLITestError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The outcome of one `embedtune` run.
struct ProcessResult {
    var status: Int32
    /// Ended by a signal (a trap, an abort, the OOM killer) rather than by exiting.
    var signalled = false
    var stdout: Data
    var stderr: String

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

    /// Standard output split at "\n" (the last line's "\n" ends it; no empty line after it).
    var outputLines: [String] {
        var lines = stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines
    }
}

/// Runs `embedtune` with `arguments`, feeding `input` on standard input. Standard streams go through
/// temporary files so that large inputs and outputs cannot dead-lock on pipe buffers.
func runEmbedTune(
    _ arguments: [String], input: Data = Data(), environment: [String: String] = [:], removing: [String] = []
) throws -> ProcessResult {
    let fm = FileManager.default
    let scratch = fm.temporaryDirectory.appendingPathComponent("embedtune-cli-\(UUID().uuidString)")
    try fm.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: scratch) }
    let stdinURL = scratch.appendingPathComponent("stdin")
    let stdoutURL = scratch.appendingPathComponent("stdout")
    let stderrURL = scratch.appendingPathComponent("stderr")
    try input.write(to: stdinURL)
    _ = fm.createFile(atPath: stdoutURL.path, contents: nil)
    _ = fm.createFile(atPath: stderrURL.path, contents: nil)

    let process = Process()
    process.executableURL = try Repository.binary()
    process.arguments = arguments
    if !environment.isEmpty || !removing.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            .filter { !removing.contains($0.key) }
    }
    let stdin = try FileHandle(forReadingFrom: stdinURL)
    let stdout = try FileHandle(forWritingTo: stdoutURL)
    let stderr = try FileHandle(forWritingTo: stderrURL)
    defer {
        try? stdin.close()
        try? stdout.close()
        try? stderr.close()
    }
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    process.waitUntilExit()
    return ProcessResult(
        status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal, stdout: try Data(contentsOf: stdoutURL),
        stderr: String(decoding: try Data(contentsOf: stderrURL), as: UTF8.self))
}

func runEmbedTune(_ arguments: [String], lines: String, environment: [String: String] = [:]) throws -> ProcessResult {
    try runEmbedTune(arguments, input: Data(lines.utf8), environment: environment)
}

/// `hidden_size` of a model directory's config.json: the embedding width the CLI must write.
func hiddenSize(of model: URL) throws -> Int {
    let data = try Data(contentsOf: model.appendingPathComponent("config.json"))
    guard let config = try JSONSerialization.jsonObject(with: data) as? [String: Any],
        let size = config["hidden_size"] as? Int
    else { throw CLITestError("\(model.path)/config.json has no hidden_size") }
    return size
}
