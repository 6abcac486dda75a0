import Encoder
import Foundation

/// The checks before a command writes an output directory (`train`, `merge`) or file (`embed`, `mine`,
/// `plot`: `apart` only): the output must not be,
/// contain or lie inside any input, and a non-empty directory is written into only when it is this
/// command's own earlier output (it holds one of `ownMarkers`, e.g. a training checkpoint) or with
/// `--overwrite`. Without these, a mistyped --output replaced a model's files or deleted its vocab.txt.
enum OutputDirectoryCheck {
    struct Refusal: Error, CustomStringConvertible {
        var description: String
    }

    /// inputs: (option, path) of everything the command reads.
    static func check(
        output: String, inputs: [(option: String, path: String)], ownMarkers: [String], overwrite: Bool
    ) throws {
        try apart(output: output, inputs: inputs, what: "output directory")
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: output, isDirectory: &isDirectory) else { return }
        guard isDirectory.boolValue else {
            throw Refusal(description: "--output \(output) is a file; give a directory")
        }
        let entries = (try? fm.contentsOfDirectory(atPath: output)) ?? []
        if entries.isEmpty || overwrite || entries.contains(where: ownMarkers.contains) { return }
        throw Refusal(description: "--output \(output) is a non-empty directory that this command did not write "
            + "(it holds \(entries.sorted().prefix(3).joined(separator: ", "))\(entries.count > 3 ? ", ..." : "")); "
            + "choose a new or empty directory, or pass --overwrite to replace its files")
    }

    /// Refuses an output file whose directory does not exist, before any work (the write itself would
    /// name only its temporary file).
    static func directoryExists(for output: String) throws {
        let parent = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Refusal(description: "--output \(output): no such directory \(parent)")
        }
    }

    /// Refuses an output (a file or a directory, `what` names it) that is, contains or lies inside an
    /// input: `embed --output` into the model directory replaced its weights, `mine --output` equal to
    /// --corpus replaced the corpus.
    static func apart(output: String, inputs: [(option: String, path: String)], what: String = "output file") throws {
        let url = URL(fileURLWithPath: output)
        for (option, path) in inputs {
            if let overlap = OutputPaths.overlap(output: url, input: URL(fileURLWithPath: path)) {
                throw Refusal(description: "--output \(output) \(overlap) \(option) \(path); choose a separate \(what)")
            }
        }
    }
}
