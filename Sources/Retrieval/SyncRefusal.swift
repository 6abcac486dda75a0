/// Why `encode --sync` refused to run: deleting every stored document the input lacks would delete
/// documents the input only seems to lack. Thrown before the store is written to.
public enum SyncRefusal: Error, CustomStringConvertible, Equatable {
    /// Lines were skipped as invalid (`--skip-invalid`): the ids they hold are unknown.
    case skippedLines(input: String, count: Int)
    /// The input holds no document: every stored one would go.
    case emptyInput(input: String, stored: Int)

    public var description: String {
        switch self {
        case let .skippedLines(input, count):
            return "\(input): --sync with \(count) line\(count == 1 ? "" : "s") skipped as invalid: their documents "
                + "would be deleted from the store; mend the lines, or encode without --sync"
        case let .emptyInput(input, stored):
            return "\(input): no documents, so --sync would delete all \(stored) stored ones; "
                + "to empty the store, delete its documents with `embedtune delete`"
        }
    }
}
