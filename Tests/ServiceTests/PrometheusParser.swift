import Foundation

/// A strict reader of the Prometheus text exposition format, enough to check what `/metrics`
/// writes: `# HELP` / `# TYPE` lines, then samples `name{label="value",...} number`.
struct PrometheusExposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct ParseError: Error, CustomStringConvertible {
        var line: Int
        var text: String
        var reason: String
        var description: String { "line \(line) \"\(text)\": \(reason)" }
    }

    private(set) var types: [String: String] = [:]
    private(set) var help: [String: String] = [:]
    private(set) var samples: [Sample] = []

    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw ParseError(line: 0, text: "", reason: "must end with a newline") }
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            let fail = { (reason: String) in ParseError(line: i + 1, text: String(line), reason: reason) }
            if line.hasPrefix("# ") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false)
                guard parts.count == 4, Self.isName(parts[2]) else { throw fail("bad comment line") }
                switch parts[1] {
                case "HELP": help[String(parts[2])] = String(parts[3])
                case "TYPE":
                    guard ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else { throw fail("bad type") }
                    guard types[String(parts[2])] == nil else { throw fail("second TYPE line") }
                    types[String(parts[2])] = String(parts[3])
                default: throw fail("unknown comment keyword")
                }
                continue
            }
            let sample = try Self.sample(line, fail)
            guard types[family(of: sample.name)] != nil else { throw fail("sample before its # TYPE line") }
            samples.append(sample)
        }
    }

    /// The metric family a sample belongs to (`x_bucket`, `x_sum`, `x_count` of histogram `x`).
    func family(of name: String) -> String {
        for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
            let base = String(name.dropLast(suffix.count))
            if types[base] == "histogram" { return base }
        }
        return name
    }

    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { $0.name == name && $0.labels == labels }?.value
    }

    private static func isName<S: StringProtocol>(_ s: S) -> Bool {
        guard let first = s.first, first.isLetter || first == "_" || first == ":" else { return false }
        return s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == ":") }
    }

    private static func sample(_ line: Substring, _ fail: (String) -> ParseError) throws -> Sample {
        var rest = line[...]
        let nameEnd = rest.firstIndex { $0 == "{" || $0 == " " } ?? rest.endIndex
        let name = String(rest[..<nameEnd])
        guard isName(name) else { throw fail("bad metric name") }
        rest = rest[nameEnd...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let eq = rest.firstIndex(of: "=") else { throw fail("label without =") }
                let key = String(rest[..<eq])
                guard isName(key), labels[key] == nil else { throw fail("bad or repeated label name") }
                rest = rest[rest.index(after: eq)...]
                guard rest.first == "\"" else { throw fail("label value not quoted") }
                rest = rest.dropFirst()
                var value = ""
                while let ch = rest.first, ch != "\"" {
                    rest = rest.dropFirst()
                    if ch == "\\" {
                        guard let escaped = rest.first else { throw fail("dangling escape") }
                        rest = rest.dropFirst()
                        switch escaped {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw fail("bad escape")
                        }
                    } else {
                        value.append(ch)
                    }
                }
                guard rest.first == "\"" else { throw fail("unterminated label value") }
                rest = rest.dropFirst()
                labels[key] = value
                if rest.first == "," { rest = rest.dropFirst() } else if rest.first != "}" { throw fail("expected , or }") }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw fail("expected a space before the value") }
        let valueText = rest.dropFirst()
        let value: Double
        switch valueText {
        case "+Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default:
            guard let v = Double(valueText), !valueText.contains(" ") else { throw fail("bad value") }
            value = v
        }
        return Sample(name: name, labels: labels, value: value)
    }
}
