import Foundation
import Testing
import Encoder

@Suite struct JSONStringLiteralTests {
    /// Every string round-trips through Foundation's JSON parser, control characters, quotes,
    /// backslashes and non-ASCII included.
    @Test(arguments: ["", "plain", "quote \" and \\ backslash", "line\nfeed\r\ttab", "\u{0}\u{1}\u{1f}\u{7f}",
                      "é 漢字 🙂", "</script>", "\u{2028}"])
    func roundTripsThroughAJSONParser(text: String) throws {
        let literal = JSONStringLiteral.make(text)
        let parsed = try JSONSerialization.jsonObject(with: Data("[\(literal)]".utf8)) as? [String]
        #expect(parsed == [text])
        #expect(!literal.utf8.dropFirst().dropLast().contains { $0 < 0x20 }, "no raw control bytes")
    }

    @Test func usesTheShortEscapes() {
        #expect(JSONStringLiteral.make("a\"b\\c\nd\re\tf\u{1}") == #""a\"b\\c\nd\re\tf\u0001""#)
    }
}
