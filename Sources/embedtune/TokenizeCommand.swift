import ArgumentParser
import Foundation
import Tokenizer

#if canImport(Glibc)
    import Glibc
#endif

/// `embedtune tokenize`: one text per stdin line → one JSONL line `{"ids":[...],"tokens":[...]}`.
///
/// Every line is a text, empty ones included, in order; the line's "\n" and a "\r" before it are removed.
/// Bytes that are not valid UTF-8 are replaced like Python's `errors="replace"` (one U+FFFD per maximal
/// invalid subsequence, Swift's `String(decoding:as:)`); `clean_text` then drops the U+FFFD, so the
/// invalid bytes vanish from the tokens, as with `tokenizer.encode(line.decode(errors="replace"))`.
struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize stdin lines with a model's BERT WordPiece tokenizer, writing JSONL ids and tokens.",
        discussion: """
            Reads one text per line (empty lines give [CLS] [SEP]); invalid UTF-8 is replaced by U+FFFD, \
            which the BERT normalizer removes. Truncates at --max-length, by default the model directory's \
            sentence_bert_config.json max_seq_length (as sentence-transformers does).
            """)

    @Option(help: "Model directory (tokenizer.json, or vocab.txt + tokenizer_config.json).")
    var model: String

    @Option(help: "Truncate to this many tokens, [CLS] and [SEP] included.")
    var maxLength: Int?

    @Flag(help: .hidden)
    var countOnly = false

    @Option(name: .customLong("repeat"), help: .hidden)
    var repetitions = 1

    func validate() throws {
        if let n = maxLength, n < 3 { throw ValidationError("--max-length must be at least 3 (got \(n))") }
        if repetitions < 1 { throw ValidationError("--repeat must be at least 1") }
    }

    func run() throws {
        let tokenizer = try BertTokenizer.load(modelDirectory: URL(fileURLWithPath: model))
        var reader = LineReader(fileDescriptor: 0)
        if countOnly {
            try benchmark(tokenizer, lines: try reader.readAll())
            return
        }
        var writer = OutputBuffer(fileDescriptor: 1)
        var ids: [Int32] = []
        while let line = try reader.next() {
            ids.removeAll(keepingCapacity: true)
            tokenizer.encodeIDs(line, maxLength: maxLength, appendingTo: &ids)
            writer.append("{\"ids\":[")
            for (k, id) in ids.enumerated() {
                if k > 0 { writer.append(UInt8(ascii: ",")) }
                writer.append(integer: Int(id))
            }
            writer.append("],\"tokens\":[")
            for (k, id) in ids.enumerated() {
                if k > 0 { writer.append(UInt8(ascii: ",")) }
                writer.append(jsonString: tokenizer.token(for: id) ?? "")
            }
            writer.append("]}\n")
            try writer.flushIfFull()
        }
        try writer.flush()
    }

    /// Hidden `--count-only [--repeat N]`: time `encodeIDs` over the lines (already in memory), print totals.
    private func benchmark(_ tokenizer: BertTokenizer, lines: [String]) throws {
        var ids: [Int32] = []
        var tokens = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repetitions {
            for line in lines {
                ids.removeAll(keepingCapacity: true)
                tokenizer.encodeIDs(line, maxLength: maxLength, appendingTo: &ids)
                tokens += ids.count
            }
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        var writer = OutputBuffer(fileDescriptor: 1)
        writer.append(
            "{\"lines\":\(lines.count * repetitions),\"tokens\":\(tokens),\"seconds\":\(seconds),"
                + "\"tokens_per_second\":\(Double(tokens) / seconds)}\n")
        try writer.flush()
    }
}



/// Reads a file descriptor in large chunks and splits it into lines: "\n" ends a line, a "\r" before it is
/// dropped, a last line without "\n" still counts. Invalid UTF-8 becomes U+FFFD (Python's
/// `errors="replace"`).
fileprivate struct LineReader {
    private let fileDescriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false

    init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    mutating func next() throws -> String? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                var end = newline
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                var end = buffer.count
                if buffer[end - 1] == 0x0D { end -= 1 }
                let line = String(decoding: buffer[start..<end], as: UTF8.self)
                start = buffer.count
                return line
            }
            try fill()
        }
    }

    mutating func readAll() throws -> [String] {
        var lines: [String] = []
        while let line = try next() { lines.append(line) }
        return lines
    }

    private mutating func fill() throws {
        buffer.removeSubrange(0..<start)
        start = 0
        let chunk = 1 << 20
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        let n = buffer.withUnsafeMutableBytes { raw in read(fileDescriptor, raw.baseAddress! + old, chunk) }
        if n < 0 { throw ValidationError("cannot read stdin: \(String(cString: strerror(errno)))") }
        buffer.removeLast(chunk - n)
        if n == 0 { atEnd = true }
    }
}

/// Buffered writes to a file descriptor, with the JSON encoding the CLI needs.
fileprivate struct OutputBuffer {
    private let fileDescriptor: Int32
    private var bytes: [UInt8] = []

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        bytes.reserveCapacity(1 << 17)
    }

    mutating func append(_ byte: UInt8) { bytes.append(byte) }
    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func append(integer: Int) {
        if integer < 0 { bytes.append(UInt8(ascii: "-")) }
        var value = integer.magnitude
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
            UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &digits) { d in
            repeat {
                d[count] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                count += 1
            } while value > 0
            for k in stride(from: count - 1, through: 0, by: -1) { bytes.append(d[k]) }
        }
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as \u00XX, the rest as UTF-8.
    mutating func append(jsonString: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in jsonString.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [0x5C, 0x22])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [0x5C, 0x5C])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    mutating func flushIfFull() throws {
        if bytes.count >= 1 << 16 { try flush() }
    }

    mutating func flush() throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw in write(fileDescriptor, raw.baseAddress! + offset, raw.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw ValidationError("cannot write stdout: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
