import Encoder
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Why reading standard input or writing standard output failed (the CLI reports it and exits non-zero).
struct StandardStreamError: Error, CustomStringConvertible {
    var stream: String
    var code: Int32

    var description: String { "cannot \(stream): \(String(cString: strerror(code)))" }
}

/// Buffered writes to a file descriptor, with the JSON encoding the CLI needs appended byte by byte
/// (no String per number). Callers call `flushIfFull()` between records and `flush()` at the end.
struct OutputBuffer {
    private let fileDescriptor: Int32
    private var bytes: [UInt8] = []
    private static let flushThreshold = 1 << 16

    init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        bytes.reserveCapacity(2 * Self.flushThreshold)
    }

    mutating func append(_ byte: UInt8) { bytes.append(byte) }
    mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// Decimal digits of `integer`, with a leading "-" when negative. The digits are produced backwards
    /// into a fixed-size scratch tuple on the stack (no allocation), then appended in order.
    mutating func append(integer: Int) {
        if integer < 0 { bytes.append(UInt8(ascii: "-")) }
        var value = integer.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes ≥ the 20 digits of UInt64.max
        withUnsafeMutableBytes(of: &digits) { scratch in
            var count = 0
            repeat {
                scratch[count] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
                count += 1
            } while value > 0
            for k in stride(from: count - 1, through: 0, by: -1) { bytes.append(scratch[k]) }
        }
    }

    /// The shortest decimal that reads back as the same Float (Swift's `description`), e.g. "-0.0123" or
    /// "1e-05": a valid JSON number for every finite value.
    mutating func append(float value: Float) {
        bytes.append(contentsOf: value.description.utf8)
    }

    /// A JSON string literal: `"` and `\` escaped, control characters as \u00XX, the rest as UTF-8.
    mutating func append(jsonString: String) {
        JSONStringLiteral.append(jsonString, to: &bytes)
    }

    mutating func flushIfFull() throws {
        if bytes.count >= Self.flushThreshold { try flush() }
    }

    mutating func flush() throws {
        let fd = fileDescriptor
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw StandardStreamError(stream: "write standard output", code: errno)
                }
                offset += n
            }
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
