import Foundation

enum StandardInput {
    /// Every line of standard input without its "\n" (and a "\r" before it), empty lines included; a
    /// final line without a newline counts too. Invalid UTF-8 becomes U+FFFD.
    static func readLines() -> [String] {
        let data = FileHandle.standardInput.readDataToEndOfFile()
        return splitLines(data)
    }

    static func splitLines(_ data: Data) -> [String] {
        var lines: [String] = []
        data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let bytes = raw.bindMemory(to: UInt8.self)
            var start = 0
            for i in 0..<bytes.count where bytes[i] == 0x0A {
                lines.append(decode(bytes, start, i))
                start = i + 1
            }
            if start < bytes.count { lines.append(decode(bytes, start, bytes.count)) }
        }
        return lines
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> String {
        var end = end
        if end > start && bytes[end - 1] == 0x0D { end -= 1 }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}

/// Buffered writes to standard output: one `write` syscall per 64 KiB instead of per value.
final class BufferedOutput {
    private let fd: Int32
    private var buffer: [UInt8] = []

    init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(1 << 16)
    }

    func write(_ s: String) {
        buffer.append(contentsOf: s.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    func flush() {
        buffer.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, base + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
