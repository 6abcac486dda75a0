import ArgumentParser
import Foundation
import Tokenizer

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
        let reader = StandardInput.reader()
        if countOnly {
            try benchmark(tokenizer, lines: try StandardInput.readLines())
            return
        }
        var writer = OutputBuffer(fileDescriptor: 1)
        var ids: [Int32] = []
        while let line = try reader.nextText() {
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
