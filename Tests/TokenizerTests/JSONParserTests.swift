import Foundation
import Testing
@testable import Tokenizer

/// `JSONParser` against Foundation's `JSONSerialization` on tricky documents, and the line, column and
/// expectation of its errors on malformed ones.
@Suite struct JSONParserTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct UnexpectedFoundationValue: Error { let value: Any }

    /// `JSONSerialization`'s value as a `JSONValue`. On Linux every `NSNumber` casts to `Bool`; the booleans
    /// are the ones whose Objective-C type is "c" (`JSONSerialization` makes no other `char` numbers).
    static func converted(_ any: Any) throws -> JSONValue {
        switch any {
        case is NSNull: return .null
        case let string as String: return .string(string)
        case let number as NSNumber:
            return String(cString: number.objCType) == "c" ? .bool(number.boolValue) : .number(number.doubleValue)
        case let array as [Any]: return .array(try array.map(converted))
        case let object as [String: Any]: return .object(JSONMembers(try object.map { (key: $0.key, value: try converted($0.value)) }))
        default: throw UnexpectedFoundationValue(value: any)
        }
    }

    static func foundation(_ text: [UInt8]) throws -> JSONValue {
        try converted(JSONSerialization.jsonObject(with: Data(text), options: [.fragmentsAllowed]))
    }

    /// Where two values first differ, as a path such as `.model.vocab["the"]`, or nil when they are equal.
    static func firstDifference(_ a: JSONValue, _ b: JSONValue, at path: String = "") -> String? {
        switch (a, b) {
        case let (.array(x), .array(y)):
            if x.count != y.count { return "\(path): \(x.count) vs \(y.count) elements" }
            return zip(x, y).enumerated().lazy.compactMap { firstDifference($1.0, $1.1, at: "\(path)[\($0)]") }.first
        case let (.object(xm), .object(ym)):
            let x = xm.dictionary, y = ym.dictionary
            if Set(x.keys) != Set(y.keys) { return "\(path): keys \(Set(x.keys).symmetricDifference(y.keys).sorted())" }
            return x.keys.sorted().lazy.compactMap { key in
                firstDifference(x[key] ?? .null, y[key] ?? .null, at: "\(path)[\(key.debugDescription)]")
            }.first
        default:
            return a == b ? nil : "\(path): \(a) vs \(b)"
        }
    }

    static let documents: [String] = [
        #"{"quote":"\"","backslash":"\\","slash":"\/","controls":"\b\f\n\r\t","nul":"a\u0000b","del":"\u007f"}"#,
        #"["\u00e9\u00C9", "\u4e2d\u6587", "\ud83d\ude00", "\uD834\uDD1E", "\ufeffafter a leading escaped BOM"]"#,
        #"["é", "中文", "😀", "👩‍💻", "e\#u{301}", "עברית", "\#u{10FFFF}", "\#u{7F}", "a\#u{FEFF}b", "tab\tescaped"]"#,
        #"[[[]], {}, [{}], {"a": {"b": [1, {"c": null}], "d": [true, false]}}, [[1, [2, [3, [4]]]]]]"#,
        #"[-0, 0, -0.0, 1e308, 1.7976931348623157e308, 1E-7, 0.1, 12.5e-1, 1E+2, 2.2250738585072014e-308, 5e-324, 1e-400]"#,
        #"[123456789012345678901234567890, 9007199254740993, 18446744073709551615, -9223372036854775808, 1000000000000000]"#,
        #"{"empty array": [], "empty object": {}, "empty string": "", "": "empty key"}"#,
        " \t\r\n{ \"a\" :\t[ 1 ,\r\n2 ] ,\n\"b\"\r:\rnull }\r\n \t",
        #"{"repeated": 1, "other": 2, "repeated": 3}"#,
        #""a string at the top""#, "42", "-1.5e3", "true", "false", "null", " [ ] ",
    ]

    @Test(arguments: documents) func parsesLikeJSONSerialization(_ document: String) throws {
        let bytes = Array(document.utf8)
        let ours = try JSONParser.parse(bytes, path: "test.json")
        let expected = try Self.foundation(bytes)
        #expect(Self.firstDifference(ours, expected) == nil)
    }

    @Test func byteOrderMarkIsSkippedAsFoundationDoes() throws {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array(#"{"a": ["b"]}"#.utf8)
        #expect(try JSONParser.parse(bytes, path: "bom.json") == Self.foundation(bytes))
        #expect(try JSONParser.parse(bytes, path: "bom.json") == .object(["a": .array([.string("b")])]))
    }

    @Test func repeatedKeyKeepsItsLastValue() throws {
        let value = try JSONParser.parse(Array(#"{"k": 1, "k": [2], "j": 0}"#.utf8), path: "test.json")
        #expect(value == .object(["k": .array([.number(2)]), "j": .number(0)]))
    }

    /// Foundation on Linux drops a U+FEFF that starts a string; `JSONDecoder`, and this parser, keep it.
    @Test func leadingByteOrderMarkInAStringIsKept() throws {
        let bytes = Array("[\"\u{FEFF}x\", \"\u{FEFF}\"]".utf8)
        let decoded = try JSONDecoder().decode([String].self, from: Data(bytes))
        #expect(try JSONParser.parse(bytes, path: "test.json") == .array(decoded.map(JSONValue.string)))
        #expect(decoded.first?.unicodeScalars.map(\.value) == [0xFEFF, 0x78])
    }

    /// Foundation reads numbers with more than 19 significant digits through `Decimal`, which rounds
    /// differently; the parser gives `Double(String)` of the text, correctly rounded.
    @Test func longNumbersEqualDoubleOfTheirText() throws {
        let texts = ["0.30000000000000004441", "12345678901234567890123.5e-3", "2.4703282292062327209e-324",
                     "-1234567890123456789012345678901234567890.5", "9007199254740993.0", "0.000000000000000000001"]
        for text in texts {
            #expect(try JSONParser.parse(Array(text.utf8), path: "n.json") == .number(try #require(Double(text))), "\(text)")
        }
    }

    @Test func nestingOf512LevelsIsAccepted() throws {
        let text = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(throws: Never.self) { try JSONParser.parse(Array(text.utf8), path: "deep.json") }
    }

    struct Malformed: CustomTestStringConvertible, Sendable {
        let bytes: [UInt8]
        let line: Int
        let column: Int
        let expected: String
        let found: String
        init(_ text: String, _ line: Int, _ column: Int, _ expected: String, _ found: String) {
            self.init(bytes: Array(text.utf8), line, column, expected, found)
        }
        init(bytes: [UInt8], _ line: Int, _ column: Int, _ expected: String, _ found: String) {
            (self.bytes, self.line, self.column, self.expected, self.found) = (bytes, line, column, expected, found)
        }
        var testDescription: String { String(decoding: bytes.prefix(40), as: UTF8.self).debugDescription }
    }

    static let malformed: [Malformed] = [
        Malformed("{\n  \"a\": \"abc", 2, 12, "'\"' to end the string", "end of input"),
        Malformed(#"["ok", "a\x"]"#, 1, 11, #"an escape character: '"', '\', '/', 'b', 'f', 'n', 'r', 't' or 'u'"#, "'x'"),
        Malformed(#"["\u12G4"]"#, 1, 7, "a hexadecimal digit", "'G'"),
        Malformed("[01]", 1, 3, "'.', 'e' or the end of the number after a leading 0", "'1'"),
        Malformed("[-01]", 1, 4, "'.', 'e' or the end of the number after a leading 0", "'1'"),
        Malformed(#"{"x": NaN}"#, 1, 7, "a value", "'N'"),
        Malformed("[Infinity]", 1, 2, "a value", "'I'"),
        Malformed("[\"a\tb\"]", 1, 4, "a character of the string (control characters must be escaped)", "control character U+0009"),
        Malformed("[\"line\nbreak\"]", 1, 7, "a character of the string (control characters must be escaped)", "control character U+000A"),
        Malformed(String(repeating: "[", count: 10_000), 1, 513, "at most 512 nested arrays and objects", "'['"),
        Malformed(String(repeating: "{\"a\":", count: 600), 1, 2561, "at most 512 nested arrays and objects", "'{'"),
        Malformed("{\"a\": 1}\n  x", 2, 3, "the end of the text after the top-level value", "'x'"),
        Malformed("[1] [2]", 1, 5, "the end of the text after the top-level value", "'['"),
        Malformed("tru", 1, 4, "'e' to complete 'true'", "end of input"),
        Malformed("[tru]", 1, 5, "'e' to complete 'true'", "']'"),
        Malformed("[nul, 1]", 1, 5, "'l' to complete 'null'", "','"),
        Malformed("", 1, 1, "a value", "end of input"),
        Malformed(" \n ", 2, 2, "a value", "end of input"),
        Malformed("[1 2]", 1, 4, "',' or ']' after an array element", "'2'"),
        Malformed(#"{"a" 1}"#, 1, 6, "':' after an object key", "'1'"),
        Malformed("{a: 1}", 1, 2, "a string key or '}'", "'a'"),
        Malformed("[1.]", 1, 4, "a digit after the decimal point", "']'"),
        Malformed("[.5]", 1, 2, "a value", "'.'"),
        Malformed("[1e]", 1, 4, "a digit after the exponent mark", "']'"),
        Malformed("[1E+]", 1, 5, "a digit after the exponent mark", "']'"),
        Malformed("[-]", 1, 3, "a digit", "']'"),
        Malformed("[+1]", 1, 2, "a value", "'+'"),
        Malformed("[1e400]", 1, 2, "a number within the range of a Double", "'1e400'"),
        Malformed("[-1e400]", 1, 2, "a number within the range of a Double", "'-1e400'"),
        Malformed(#"["\ud800x"]"#, 1, 9, #"a low surrogate escape (\uDC00-\uDFFF) after a high surrogate"#, "'x'"),
        Malformed(#"["\ud800\u0041"]"#, 1, 9, #"a low surrogate escape (\uDC00-\uDFFF) after a high surrogate"#, #"'\u0041'"#),
        Malformed(#"["\udc00"]"#, 1, 3, #"a high surrogate escape (\uD800-\uDBFF) before a low surrogate"#, #"'\udc00'"#),
        Malformed(bytes: Array(#"["a"#.utf8) + [0xFF] + Array(#""]"#.utf8), 1, 4, "valid UTF-8", "the invalid UTF-8 sequence 0xFF"),
        Malformed(bytes: Array(#"["é"#.utf8) + [0xC0, 0xAF] + Array(#""]"#.utf8), 1, 4, "valid UTF-8", "the invalid UTF-8 sequence 0xC0"),
        Malformed(bytes: [0x5B, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x5D], 1, 3, "valid UTF-8", "the invalid UTF-8 sequence 0xED 0xA0"),
        Malformed(bytes: [0x5B, 0x22, 0xE2, 0x82, 0x63, 0x22, 0x5D], 1, 3, "valid UTF-8", "the invalid UTF-8 sequence 0xE2 0x82 0x63"),
        Malformed(bytes: Array(#"[""#.utf8) + [0xF0, 0x9F, 0x98], 1, 3, "valid UTF-8", "the invalid UTF-8 sequence 0xF0 0x9F 0x98"),
        Malformed(#"["é", "中", x]"#, 1, 12, "a value", "'x'"),
        Malformed("[\"é\", \u{00A0}1]", 1, 7, "a value", "'\u{00A0}' (U+00A0)"),
        Malformed("{\r\n\"a\":\r\n  ?}", 3, 3, "a value", "'?'"),
        Malformed("[1,\r2,\r?]", 3, 1, "a value", "'?'"),
        Malformed("\u{0C}[1]", 1, 1, "a value", "control character U+000C"),
        Malformed(bytes: [0xEF, 0xBB, 0xBF] + Array("[x]".utf8), 1, 2, "a value", "'x'"),
        Malformed(bytes: Array("[1]".utf8) + [0], 1, 4, "the end of the text after the top-level value", "control character U+0000"),
    ]

    @Test(arguments: malformed) func malformedTextThrowsAtItsLineAndColumn(_ text: Malformed) throws {
        let expected = JSONSyntaxError(path: "bad.json", line: text.line, column: text.column, expected: text.expected, found: text.found)
        #expect(throws: expected) { try JSONParser.parse(text.bytes, path: "bad.json") }
        #expect(throws: (any Error).self) { try JSONSerialization.jsonObject(with: Data(text.bytes), options: [.fragmentsAllowed]) }
    }

    /// RFC 8259 has no trailing commas; Foundation accepts them, the parser does not.
    @Test func trailingCommasAreErrorsAlthoughFoundationAcceptsThem() throws {
        let cases = [("[1,2,]", 6, "a value", "']'"), (#"{"a": 1,}"#, 9, "a string key", "'}'")]
        for (text, column, expected, found) in cases {
            #expect(throws: JSONSyntaxError(path: "t.json", line: 1, column: column, expected: expected, found: found)) {
                try JSONParser.parse(Array(text.utf8), path: "t.json")
            }
            #expect(throws: Never.self) { try JSONSerialization.jsonObject(with: Data(text.utf8)) }
        }
    }

    @Test func syntaxErrorOfAFileIsAMalformedFileErrorWithLineAndColumn() throws {
        let dir = try Fixtures.temporaryDirectory([("tokenizer.json", Data("{\n  \"model\": [1,".utf8))])
        let url = dir.appendingPathComponent("tokenizer.json")
        #expect(throws: TokenizerError.malformedFile(
            path: url.path, reason: "invalid JSON at line 2, column 15: expected a value, found end of input")) {
            try BertTokenizer(tokenizerJSON: url)
        }
    }

    /// The model's whole tokenizer.json (a 30522-entry vocabulary). The model comes from scripts/setup.sh;
    /// a missing model fails the test.
    @Test func miniLMTokenizerJSONEqualsJSONSerialization() throws {
        let url = Self.repositoryRoot.appendingPathComponent("models/all-MiniLM-L6-v2/tokenizer.json")
        try #require(FileManager.default.fileExists(atPath: url.path), "run scripts/setup.sh to fetch \(url.path)")
        let bytes = [UInt8](try Data(contentsOf: url))
        let ours = try JSONParser.parse(bytes, path: url.path)
        #expect(Self.firstDifference(ours, try Self.foundation(bytes)) == nil)
        #expect(ours.object?["model"]?.object?["vocab"]?.object?.count == 30522)
    }
}
