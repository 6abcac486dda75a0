import Datasets

/// Standard input as the commands that read texts take it: `LineReader`'s lines ("\n" or "\r\n"
/// ends a line; every line kept, empty ones included), decoded as UTF-8 with invalid bytes replaced
/// by U+FFFD, like Python's `bytes.decode(errors="replace")`.
enum StandardInput {
    /// A reader of the process's standard input.
    static func reader() -> LineReader { LineReader(fileDescriptor: 0, name: "standard input") }

    /// Every line of standard input.
    static func readLines() throws -> [String] {
        let input = reader()
        var lines: [String] = []
        while let line = try input.nextText() { lines.append(line) }
        return lines
    }
}
