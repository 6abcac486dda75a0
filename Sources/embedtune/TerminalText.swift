/// Text from data files (ids, titles, texts, error messages quoting them) made safe to print on a
/// terminal: control characters — C0 (ESC, BEL, CR, ...), DEL and C1, which start escape sequences
/// that clear the screen, set the window title or write the clipboard (OSC 52) — are shown as visible
/// `\x1b`-style escapes instead of being sent to the terminal. JSON output needs none of this: its
/// writer escapes every control character already.
enum TerminalText {
    /// `text` with every control character escaped; with `keepNewlines`, "\n" and "\t" pass through
    /// (multi-line messages).
    static func escaped(_ text: String, keepNewlines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: { isControl($0) && !(keepNewlines && ($0 == "\n" || $0 == "\t")) }) else {
            return text
        }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isControl(scalar) && !(keepNewlines && (scalar == "\n" || scalar == "\t")) {
                let hex = String(scalar.value, radix: 16)
                let escape = scalar.value <= 0xFF ? "\\x" + (hex.count < 2 ? "0" : "") + hex : "\\u{" + hex + "}"
                out.append(contentsOf: escape.unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// C0 controls, DEL, C1 controls, and the bidirectional overrides and isolates that reorder what
    /// follows them on screen (U+202A–U+202E, U+2066–U+2069).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }
}
