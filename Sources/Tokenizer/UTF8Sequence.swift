/// One UTF-8 encoded scalar in a byte buffer: its validity by the Unicode Standard's Table 3-7 (no
/// overlong forms, no surrogates, nothing above U+10FFFF), and a description for error messages.
enum UTF8Sequence {
    /// The length of the sequence starting at `start` and whether it is well-formed. When it is not,
    /// `length` covers the bytes up to and including the first one at fault (or to the end of input).
    static func measure(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> (length: Int, valid: Bool) {
        let lead = bytes[start]
        if lead < 0x80 { return (1, true) }
        let length: Int
        var low: UInt8 = 0x80  // the range of the second byte; later ones are always 80...BF
        var high: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE, 0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: return (1, false)
        }
        for k in 1..<length {
            guard start + k < bytes.count else { return (k, false) }
            let byte = bytes[start + k]
            guard byte >= low, byte <= high else { return (k + 1, false) }
            low = 0x80
            high = 0xBF
        }
        return (length, true)
    }

    /// What is at `offset`, for "found ...": "end of input", "'x'", "control character U+0009",
    /// "'é' (U+00E9)" or "the invalid UTF-8 sequence 0xE2 0x82 0x63".
    static func describe(_ bytes: UnsafeBufferPointer<UInt8>, at offset: Int) -> String {
        guard offset < bytes.count else { return "end of input" }
        let byte = bytes[offset]
        switch byte {
        case 0x21...0x7E: return "'\(Character(Unicode.Scalar(byte)))'"
        case 0x20: return "a space"
        case 0x00..<0x20, 0x7F: return "control character U+\(hex(UInt32(byte), digits: 4))"
        default:
            let (length, valid) = measure(bytes, at: offset)
            let sequence = UnsafeBufferPointer(rebasing: bytes[offset..<(offset + length)])
            if valid {
                let text = String(decoding: sequence, as: UTF8.self)
                let code = text.unicodeScalars.first.map { hex($0.value, digits: 4) } ?? ""
                return "'\(text)' (U+\(code))"
            }
            return "the invalid UTF-8 sequence " + sequence.map { "0x" + hex(UInt32($0), digits: 2) }.joined(separator: " ")
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
