/// Python's `str.strip()`: removes leading and trailing characters for which `str.isspace()` holds
/// (Unicode White_Space plus the separators U+001C...U+001F).
public func pythonStrip(_ text: String) -> String {
    func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace || (0x1C...0x1F).contains(s.value) }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !isSpace($0) }), let last = scalars.lastIndex(where: { !isSpace($0) }) else { return "" }
    return String(scalars[first...last])
}

/// Python's string order: lexicographic by Unicode code point.
public func codePointOrder(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) { $0.value < $1.value }
}
