/// Hugging Face's `BertNormalizer` (`tokenizers/src/normalizers/bert.rs`): four flags applied in order —
/// `clean_text` (drop NUL, U+FFFD and control characters; whitespace becomes " "), `handle_chinese_chars`
/// (a space either side of every CJK ideograph), `strip_accents` (NFD, then drop Mn marks; when unset it
/// follows `lowercase`) and `lowercase` (Rust's `char::to_lowercase`, which may expand a character).
///
/// It works one Unicode scalar at a time and tracks, for every output scalar, the index of the input
/// scalar it came from (`origin`), which becomes the token offsets. The only state across scalars is
/// NFD's canonical reordering of combining marks, kept in a `BertNormalizer.Pending` the caller owns.
public struct BertNormalizer: Sendable, Equatable {
    public var cleanText: Bool
    public var handleChineseChars: Bool
    public var stripAccents: Bool
    public var lowercase: Bool

    /// `stripAccents: nil` means "same as `lowercase`", as in Hugging Face.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents ?? lowercase
        self.lowercase = lowercase
    }

    /// Combining marks (canonical combining class ≠ 0) waiting for NFD's stable sort by combining class.
    struct Pending {
        var marks: [(scalar: UInt32, origin: Int32, combiningClass: Int)] = []
    }

    /// Normalizes input scalar `c` (input index `origin`) and hands every output scalar to `emit`.
    @inline(__always)
    func normalize(_ c: UInt32, origin: Int32, pending: inout Pending, emit: (UInt32, Int32) -> Void) {
        var c = c
        if cleanText {
            if c == 0 || c == 0xFFFD || UnicodeProperties.isControl(c) { return }
            if UnicodeProperties.isWhitespace(c) { c = 0x20 }
        }
        if handleChineseChars && UnicodeProperties.isChinese(c) {
            decomposeAndLower(0x20, origin: origin, pending: &pending, emit: emit)
            decomposeAndLower(c, origin: origin, pending: &pending, emit: emit)
            decomposeAndLower(0x20, origin: origin, pending: &pending, emit: emit)
        } else {
            decomposeAndLower(c, origin: origin, pending: &pending, emit: emit)
        }
    }

    /// Emits the marks still waiting for reordering; call at the end of the text.
    @inline(__always)
    func finish(pending: inout Pending, emit: (UInt32, Int32) -> Void) {
        if !pending.marks.isEmpty { flush(&pending, emit: emit) }
    }

    @inline(__always)
    private func decomposeAndLower(_ c: UInt32, origin: Int32, pending: inout Pending, emit: (UInt32, Int32) -> Void) {
        guard stripAccents else {
            lowerAndEmit(c, origin: origin, emit: emit)
            return
        }
        UnicodeProperties.decompose(c) { piece in
            let combiningClass = UnicodeProperties.combiningClass(piece)
            if combiningClass == 0 {
                if !pending.marks.isEmpty { flush(&pending, emit: emit) }
                if !UnicodeProperties.isNonspacingMark(piece) { lowerAndEmit(piece, origin: origin, emit: emit) }
            } else {
                pending.marks.append((piece, origin, combiningClass))
            }
        }
    }

    /// NFD canonical ordering: a stable sort of the run of marks by combining class, then the Mn filter.
    private func flush(_ pending: inout Pending, emit: (UInt32, Int32) -> Void) {
        if pending.marks.count > 1 {
            // Insertion sort: stable, and runs of marks are a handful of elements.
            for i in 1..<pending.marks.count {
                let mark = pending.marks[i]
                var j = i
                while j > 0 && pending.marks[j - 1].combiningClass > mark.combiningClass {
                    pending.marks[j] = pending.marks[j - 1]
                    j -= 1
                }
                pending.marks[j] = mark
            }
        }
        for mark in pending.marks where !UnicodeProperties.isNonspacingMark(mark.scalar) {
            lowerAndEmit(mark.scalar, origin: mark.origin, emit: emit)
        }
        pending.marks.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private func lowerAndEmit(_ c: UInt32, origin: Int32, emit: (UInt32, Int32) -> Void) {
        if lowercase {
            UnicodeProperties.appendLowercase(c) { emit($0, origin) }
        } else {
            emit(c, origin)
        }
    }

    /// The normalized form of `text` (for tests and inspection; the tokenizer streams instead).
    public func normalize(_ text: String) -> String {
        var pending = Pending()
        var output = String.UnicodeScalarView()
        let append: (UInt32, Int32) -> Void = { scalar, _ in
            if let s = Unicode.Scalar(scalar) { output.append(s) }
        }
        for (i, scalar) in text.unicodeScalars.enumerated() {
            normalize(scalar.value, origin: Int32(truncatingIfNeeded: i), pending: &pending, emit: append)
        }
        finish(pending: &pending, emit: append)
        return String(output)
    }
}
