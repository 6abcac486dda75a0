import Encoder
import Hummingbird

/// Appends JSON text (RFC 8259) to a byte array: the response bodies are written directly rather
/// than through `JSONEncoder`, since an embeddings response is mostly thousands of floats.
struct JSONWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 256) { bytes.reserveCapacity(capacity) }

    var text: String { String(decoding: bytes, as: UTF8.self) }
    var buffer: ByteBuffer { ByteBuffer(bytes: bytes) }

    /// Bytes copied as they are (punctuation, keys known to need no escaping).
    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ s: String) { bytes.append(contentsOf: s.utf8) }

    mutating func int(_ value: Int) { raw(String(value)) }

    /// A finite float in its shortest round-tripping decimal form (Swift's `description`, which
    /// JSON accepts: `0.1`, `-3e-05`). Non-finite values have no JSON form; callers check first.
    mutating func float(_ value: Float) {
        precondition(value.isFinite, "JSON has no representation for \(value)")
        raw(value.description)
    }

    /// A quoted string; `"`, `\` and control characters escaped (RFC 8259 §7).
    mutating func string(_ s: String) {
        JSONStringLiteral.append(s, to: &bytes)
    }
}
