/// A strict RFC 8259 parser from UTF-8 bytes to a `JSONValue` (https://www.rfc-editor.org/rfc/rfc8259).
///
/// Like Foundation's `JSONSerialization`: a UTF-8 byte-order mark may start the text, a repeated key
/// keeps its last value, a number beyond the range of `Double` is an error, so is a lone surrogate
/// escape, and at most 512 arrays and objects nest. Unlike it: a trailing comma in an array or object
/// is an error (RFC 8259; Foundation allows it); a U+FEFF that starts a string is kept (Foundation on
/// Linux drops it); every number is `Double(String)` of its text, correctly rounded (Foundation reads
/// numbers with many significant digits through `Decimal`, which can round differently); the text must
/// be UTF-8 (Foundation also detects UTF-16 and UTF-32). Any value may stand at the top level.
struct JSONParser {
    /// Deeper nesting is an error (so hostile input cannot overflow the stack); 512 as in Foundation.
    static let maximumDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    private let path: String
    private var offset = 0
    private var depth = 0
    /// The unescaped bytes of the string being read, when it has escapes.
    private var scratch: [UInt8] = []
    /// Members and elements of the open objects and arrays, innermost last; each takes its own off the end.
    private var members: [(String, JSONValue)] = []
    private var elements: [JSONValue] = []

    private init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
    }

    /// Parses a whole JSON text; `path` names the file in errors.
    static func parse(_ text: UnsafeRawBufferPointer, path: String) throws(JSONSyntaxError) -> JSONValue {
        var bytes = text.bindMemory(to: UInt8.self)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = UnsafeBufferPointer(rebasing: bytes[3...]) }
        var parser = JSONParser(bytes: bytes, path: path)
        let value = try parser.value()
        parser.skipWhitespace()
        guard parser.offset == bytes.count else { throw parser.error("the end of the text after the top-level value") }
        return value
    }

    static func parse(_ text: [UInt8], path: String) throws(JSONSyntaxError) -> JSONValue {
        let result: Result<JSONValue, JSONSyntaxError> = text.withUnsafeBytes { raw in
            do throws(JSONSyntaxError) { return .success(try parse(raw, path: path)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    // MARK: Values

    private mutating func value() throws(JSONSyntaxError) -> JSONValue {
        skipWhitespace()
        guard offset < bytes.count else { throw error("a value") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return try object()
        case UInt8(ascii: "["): return try array()
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw error("a value")
        }
    }

    /// At "{".
    private mutating func object() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        let start = members.count
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") {
            offset += 1
            depth -= 1
            return .object(JSONMembers([]))
        }
        while true {
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else {
                throw error(members.count == start ? "a string key or '}'" : "a string key")
            }
            let key = try string()
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw error("':' after an object key") }
            offset += 1
            members.append((key, try value()))
            skipWhitespace()
            guard offset < bytes.count else { throw error("',' or '}' after an object member") }
            if bytes[offset] == UInt8(ascii: "}") { break }
            guard bytes[offset] == UInt8(ascii: ",") else { throw error("',' or '}' after an object member") }
            offset += 1
            skipWhitespace()
        }
        offset += 1
        depth -= 1
        let object = JSONMembers(members[start...].map { (key: $0.0, value: $0.1) })  // a repeated key: the last value wins
        members.removeSubrange(start...)
        return .object(object)
    }

    /// At "[".
    private mutating func array() throws(JSONSyntaxError) -> JSONValue {
        try enterContainer()
        let start = elements.count
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "]") {
            offset += 1
            depth -= 1
            return .array([])
        }
        while true {
            elements.append(try value())
            skipWhitespace()
            guard offset < bytes.count else { throw error("',' or ']' after an array element") }
            if bytes[offset] == UInt8(ascii: "]") { break }
            guard bytes[offset] == UInt8(ascii: ",") else { throw error("',' or ']' after an array element") }
            offset += 1
        }
        offset += 1
        depth -= 1
        let array = Array(elements[start...])
        elements.removeSubrange(start...)
        return .array(array)
    }

    /// At "{" or "[": counts the level and steps over the bracket.
    private mutating func enterContainer() throws(JSONSyntaxError) {
        guard depth < Self.maximumDepth else { throw error("at most \(Self.maximumDepth) nested arrays and objects") }
        depth += 1
        offset += 1
    }

    /// At the first letter of `word`; a mismatch is reported at the first byte that differs.
    private mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let letters = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
        for letter in letters {
            guard offset < bytes.count, bytes[offset] == letter else {
                throw error("'\(Character(Unicode.Scalar(letter)))' to complete '\(word)'")
            }
            offset += 1
        }
    }

    /// At "-" or a digit. `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, its value as
    /// `Double(String)` gives it (short integers are converted directly, exactly).
    private mutating func number() throws(JSONSyntaxError) -> Double {
        let start = offset
        let negative = bytes[offset] == UInt8(ascii: "-")
        if negative { offset += 1 }
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("a digit") }
        var integer = 0
        var digits = 0
        if bytes[offset] == UInt8(ascii: "0") {
            offset += 1
            if offset < bytes.count, isDigit(bytes[offset]) { throw error("'.', 'e' or the end of the number after a leading 0") }
        } else {
            while offset < bytes.count, isDigit(bytes[offset]) {
                integer = integer &* 10 &+ Int(bytes[offset] &- UInt8(ascii: "0"))
                digits += 1
                offset += 1
            }
        }
        var isInteger = true
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            try skipDigits(after: "the decimal point")
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            try skipDigits(after: "the exponent mark")
        }
        if isInteger, digits <= 15 {  // below 2^53: exact
            return negative ? -Double(integer) : Double(integer)
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let number = Double(text), number.isFinite else {
            offset = start
            throw error("a number within the range of a Double", found: text)
        }
        return number
    }

    private mutating func skipDigits(after what: String) throws(JSONSyntaxError) {
        guard offset < bytes.count, isDigit(bytes[offset]) else { throw error("a digit after \(what)") }
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): offset += 1
            default: return
            }
        }
    }

    // MARK: Strings

    /// At the opening quote; ends after the closing one. A string without escapes becomes a `String`
    /// straight from its bytes; one with escapes is unescaped into `scratch` first.
    private mutating func string() throws(JSONSyntaxError) -> String {
        offset += 1
        let start = offset
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(offset - 1)]), as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") { break }
            try skipCharacter(byte)
        }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<offset]))
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                return String(decoding: scratch, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                try unescape()
            } else {
                let characterStart = offset
                try skipCharacter(byte)
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[characterStart..<offset]))
            }
        }
        throw error("'\"' to end the string")
    }

    /// Steps over one unescaped character of a string: not a control character, valid UTF-8.
    private mutating func skipCharacter(_ byte: UInt8) throws(JSONSyntaxError) {
        if byte >= 0x20, byte < 0x80 {
            offset += 1
            return
        }
        if byte < 0x20 { throw error("a character of the string (control characters must be escaped)") }
        let (length, valid) = UTF8Sequence.measure(bytes, at: offset)
        guard valid else { throw error("valid UTF-8") }
        offset += length
    }

    /// At a backslash: appends the escaped character to `scratch` and steps over the escape.
    private mutating func unescape() throws(JSONSyntaxError) {
        offset += 1
        guard offset < bytes.count else { throw error("an escape character") }
        let replacement: UInt8
        switch bytes[offset] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): replacement = bytes[offset]
        case UInt8(ascii: "b"): replacement = 0x08
        case UInt8(ascii: "f"): replacement = 0x0C
        case UInt8(ascii: "n"): replacement = 0x0A
        case UInt8(ascii: "r"): replacement = 0x0D
        case UInt8(ascii: "t"): replacement = 0x09
        case UInt8(ascii: "u"):
            try unescapeUnicode()
            return
        default: throw error("an escape character: '\"', '\\', '/', 'b', 'f', 'n', 'r', 't' or 'u'")
        }
        scratch.append(replacement)
        offset += 1
    }

    /// At the "u" of "\uXXXX", a high surrogate followed by "\uXXXX" with a low one; a lone surrogate is an error.
    private mutating func unescapeUnicode() throws(JSONSyntaxError) {
        let escapeStart = offset - 1
        offset += 1
        var code = try hexQuad()
        if code >= 0xDC00, code <= 0xDFFF {
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[escapeStart..<offset]), as: UTF8.self)
            offset = escapeStart
            throw error("a high surrogate escape (\\uD800-\\uDBFF) before a low surrogate", found: text)
        }
        if code >= 0xD800, code <= 0xDBFF {
            let expectation = "a low surrogate escape (\\uDC00-\\uDFFF) after a high surrogate"
            let lowStart = offset
            guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                throw error(expectation)
            }
            offset += 2
            let low = try hexQuad()
            guard low >= 0xDC00, low <= 0xDFFF else {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[lowStart..<offset]), as: UTF8.self)
                offset = lowStart
                throw error(expectation, found: text)
            }
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
        }
        guard let scalar = Unicode.Scalar(code) else { throw error("a Unicode scalar") }  // not reached: surrogates handled
        UTF8.encode(scalar) { scratch.append($0) }
    }

    /// Four hexadecimal digits.
    private mutating func hexQuad() throws(JSONSyntaxError) -> UInt32 {
        var code: UInt32 = 0
        for _ in 0..<4 {
            guard offset < bytes.count, let digit = hexDigit(bytes[offset]) else { throw error("a hexadecimal digit") }
            code = code << 4 | digit
            offset += 1
        }
        return code
    }

    private func hexDigit(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(byte - UInt8(ascii: "A") + 10)
        default: return nil
        }
    }

    // MARK: Errors

    /// The error at the current offset; `found` defaults to a description of what is there.
    private func error(_ expected: String, found: String? = nil) -> JSONSyntaxError {
        JSONSyntaxError(
            path: path, bytes: bytes, offset: offset, expected: expected,
            found: found.map { "'\($0)'" } ?? UTF8Sequence.describe(bytes, at: offset))
    }
}
