import Foundation

/// A minimal SVG 1.1 document builder: elements with ordered attributes and escaped text, nothing else.
/// The output is standalone XML that browsers and librsvg (`rsvg-convert`) render.
public struct SVGWriter {
    public typealias Attributes = KeyValuePairs<String, String>
    private(set) var body = ""
    private var open: [String] = []
    public let width: Double
    public let height: Double

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
    }

    /// Starts an element that later children go into; close it with `end()`.
    public mutating func begin(_ tag: String, _ attributes: Attributes = [:]) {
        body += indentation + "<\(tag)\(Self.format(attributes))>\n"
        open.append(tag)
    }

    public mutating func end() {
        guard let tag = open.popLast() else { preconditionFailure("SVGWriter.end without begin") }
        body += indentation + "</\(tag)>\n"
    }

    /// An element without children, or with escaped text content.
    public mutating func element(_ tag: String, _ attributes: Attributes = [:], text: String? = nil) {
        if let text {
            body += indentation + "<\(tag)\(Self.format(attributes))>\(Self.escape(text))</\(tag)>\n"
        } else {
            body += indentation + "<\(tag)\(Self.format(attributes))/>\n"
        }
    }

    /// The complete document. Every `begin` must have been closed.
    public var document: String {
        precondition(open.isEmpty, "unclosed SVG elements: \(open)")
        let w = Self.number(width), h = Self.number(height)
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="\(w)" height="\(h)" viewBox="0 0 \(w) \(h)">

            """ + body + "</svg>\n"
    }

    private var indentation: String { String(repeating: "  ", count: open.count + 1) }

    static func format(_ attributes: Attributes) -> String {
        attributes.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
    }

    /// XML escaping for text and attribute values.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                // Control characters other than tab and newline are not allowed in XML 1.0.
                if ch.value < 0x20 && ch != "\t" && ch != "\n" { out += "?" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }

    /// A coordinate with at most two decimals and no trailing zeros ("12.5", "3").
    public static func number(_ x: Double) -> String {
        let rounded = (x * 100).rounded() / 100
        if rounded == rounded.rounded() && abs(rounded) < 1e15 { return String(Int(rounded)) }
        var s = String(format: "%.2f", rounded)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// SVG path data through the points: "M x y L x y ...". Non-finite points break the line.
    public static func path(_ points: [(x: Double, y: Double)]) -> String {
        var d = "", pen = false
        for p in points {
            guard p.x.isFinite && p.y.isFinite else {
                pen = false
                continue
            }
            d += (d.isEmpty ? "" : " ") + (pen ? "L" : "M") + number(p.x) + " " + number(p.y)
            pen = true
        }
        return d
    }
}
