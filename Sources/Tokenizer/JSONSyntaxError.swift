/// Where and why a JSON text is not valid RFC 8259 JSON: the file, the 1-based line and column of the
/// offending character (columns count Unicode scalars; a line ends at "\n", "\r\n" or a lone "\r"),
/// what the grammar expected there and what was found instead.
struct JSONSyntaxError: Error, Equatable, CustomStringConvertible {
    /// The file the text came from, as given to the parser.
    let path: String
    let line: Int
    let column: Int
    /// What the grammar allows at this point, in words ("',' or ']' after an array element").
    let expected: String
    /// What is there instead ("'x'", "end of input", "byte 0xFF").
    let found: String

    /// The message without the path, for an error that already names the file.
    var reason: String { "line \(line), column \(column): expected \(expected), found \(found)" }

    var description: String { "\(path):\(line):\(column): expected \(expected), found \(found)" }

    /// The error at byte `offset` of `bytes`, the line and column counted from the start.
    init(path: String, bytes: UnsafeBufferPointer<UInt8>, offset: Int, expected: String, found: String) {
        var line = 1
        var lineStart = 0
        var index = 0
        while index < offset {
            let byte = bytes[index]
            let crBeforeLF = byte == UInt8(ascii: "\r") && index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\n")
            if byte == UInt8(ascii: "\n") || (byte == UInt8(ascii: "\r") && !crBeforeLF) {
                line += 1
                lineStart = index + 1
            }
            index += 1
        }
        // One column per scalar: count the bytes that are not UTF-8 continuation bytes (10xxxxxx).
        var column = 1
        for i in lineStart..<offset where bytes[i] & 0xC0 != 0x80 { column += 1 }
        self.init(path: path, line: line, column: column, expected: expected, found: found)
    }

    init(path: String, line: Int, column: Int, expected: String, found: String) {
        self.path = path
        self.line = line
        self.column = column
        self.expected = expected
        self.found = found
    }
}
