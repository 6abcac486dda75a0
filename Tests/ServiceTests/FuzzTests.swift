import Encoder
import Foundation
import Hummingbird
import HummingbirdTesting
import Tensor
import Testing
@testable import Service

/// 1,000 seeded random and malformed bodies: each gets 200 (valid), 400 or 413 with a JSON body,
/// and the server answers /health afterwards.
struct FuzzTests {
    enum Expect { case ok, rejected, either }

    struct Generator {
        var rng: SplitMix64
        let limit: Int

        mutating func int(_ n: Int) -> Int { Int(rng.nextUniform() * Float(n)) % n }

        mutating func unicodeText() -> String {
            let pools: [[Unicode.Scalar]] = [
                Array("the city of washington 1990 ".unicodeScalars), Array("éüßñçøå ".unicodeScalars),
                Array("日本語中文한국어 ".unicodeScalars), Array("😀🚀👍🏽‍ ".unicodeScalars),
                [Unicode.Scalar(0x301)!, Unicode.Scalar(0x200B)!, Unicode.Scalar(0xFEFF)!, Unicode.Scalar(0x7F)!],
                [Unicode.Scalar(0x0)!, Unicode.Scalar(0x1F)!, "\t", "\n", "\"", "\\"],
            ]
            var s = String.UnicodeScalarView()
            for _ in 0..<int(60) {
                let pool = pools[int(pools.count)]
                s.append(pool[int(pool.count)])
            }
            return String(s)
        }

        mutating func validEmbeddings() -> String {
            let texts = (0..<(1 + int(4))).map { _ in unicodeText() }
            var object: [String: Any] = ["input": int(2) == 0 && texts.count == 1 ? texts[0] as Any : texts as Any]
            if int(2) == 0 { object["encoding_format"] = int(2) == 0 ? "float" : "base64" }
            if int(2) == 0 { object["model"] = unicodeText() }
            return Self.json(object)
        }

        mutating func validSearch() -> String {
            Self.json(["query": unicodeText(), "k": 1 + int(20)])
        }

        static func json(_ object: Any) -> String {
            // Inputs are valid Unicode strings, so serialisation cannot fail.
            let data = (try? JSONSerialization.data(withJSONObject: object)) ?? Data()
            return String(decoding: data, as: UTF8.self)
        }

        mutating func randomBytes() -> [UInt8] {
            (0..<int(300)).map { _ in UInt8(truncatingIfNeeded: int(256)) }
        }

        mutating func malformed() -> String {
            let wrongValues = ["1", "-0", "1e400", "-1e400", "123456789012345678901234567890", "true", "null", "{}",
                               "[[1,2],[3]]", "[\"a\",null]", "[[[[[[\"x\"]]]]]]", "\"\\ud800\"", "\"\\u00\"", "[1.5]",
                               "[" + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "]",
                               String(repeating: "[", count: 5000), "\"" + String(repeating: "\\", count: 3) + "\""]
            let keys = ["input", "query", "k", "model", "encoding_format", "dimensions"]
            switch int(5) {
            case 0:  // truncated valid JSON
                let whole = int(2) == 0 ? validEmbeddings() : validSearch()
                return String(whole.utf8.prefix(int(max(1, whole.utf8.count))).map { Character(Unicode.Scalar($0)) })
            case 1:  // a field of the wrong type
                return "{\"\(keys[int(keys.count)])\": \(wrongValues[int(wrongValues.count)])}"
            case 2:
                return "{\"input\": \(wrongValues[int(wrongValues.count)]), \"query\": \(wrongValues[int(wrongValues.count)]), \"k\": \(wrongValues[int(wrongValues.count)])}"
            case 3:  // not an object at all
                return wrongValues[int(wrongValues.count)]
            default:  // a valid body with one character replaced
                var chars = Array(int(2) == 0 ? validEmbeddings() : validSearch())
                chars[int(chars.count)] = ["{", "}", "[", "]", ",", ":", "\"", "x", "\u{0}"][int(9)]
                return String(chars)
            }
        }

        /// A body, which route it goes to, and what must come back.
        mutating func next() -> (route: String, body: ByteBuffer, expect: Expect) {
            let route = int(2) == 0 ? "/v1/embeddings" : "/search"
            switch int(6) {
            case 0:
                return ("/v1/embeddings", ByteBuffer(string: validEmbeddings()), .ok)
            case 1:
                return ("/search", ByteBuffer(string: validSearch()), .ok)
            case 2:
                return (route, ByteBuffer(bytes: randomBytes()), .rejected)
            case 3:
                return (route, ByteBuffer(bytes: [UInt8](repeating: UInt8(ascii: "a"), count: limit + 1 + int(100))), .rejected)
            default:
                // Most mutations break the JSON; a few happen to stay valid.
                return (route, ByteBuffer(string: malformed()), .either)
            }
        }
    }

    @Test func thousandRandomBodiesGetOnly200Or400Or413AndTheServerStillAnswers() async throws {
        let encoder = try TinyModel.encoder()
        let database = try TestDatabase(encoder: encoder)
        defer { database.remove() }
        let index = try database.index(encoder: encoder)
        let configuration = ServiceConfiguration(port: 0, maxBodyBytes: 4096, batching: BatchingPolicy(window: .zero))
        try await withService(index: index, encoder: encoder, configuration: configuration) { client, _ in
            var generator = Generator(rng: SplitMix64(seed: 20_251_123), limit: configuration.maxBodyBytes)
            var statuses: [Int: Int] = [:]
            for i in 0..<1000 {
                let (route, body, expect) = generator.next()
                let response = try await client.execute(uri: route, method: .post, body: body)
                let code = response.status.code
                statuses[code, default: 0] += 1
                let bodyText = String(buffer: response.body)
                switch expect {
                case .ok: #expect(code == 200, "case \(i) \(route): \(code) \(bodyText)")
                case .rejected: #expect(code == 400 || code == 413, "case \(i) \(route): \(code)")
                case .either: #expect([200, 400, 413].contains(code), "case \(i) \(route): \(code) \(bodyText)")
                }
                let json = try? jsonObject(response.body)
                #expect(json != nil, "case \(i): the body is not a JSON object")
                if code != 200 { #expect(json?["error"] is [String: Any], "case \(i): no error object") }
            }
            #expect((statuses[200] ?? 0) > 100 && (statuses[400] ?? 0) > 100 && (statuses[413] ?? 0) > 50, "\(statuses)")
            let health = try await client.execute(uri: "/health", method: .get)
            #expect(health.status == .ok)
        }
    }
}
