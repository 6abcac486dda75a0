import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a file descriptor in large chunks and splits it into lines, the input convention of every
/// command that reads texts from standard input:
/// - "\n" ends a line, and a "\r" just before it (or at the very end) is dropped, so "\r\n" files work;
/// - every line is returned, empty ones included, in order; a last line without "\n" still counts
///   (and input ending in "\n" has no extra empty line after it);
/// - bytes that are not valid UTF-8 become U+FFFD, one per maximal invalid subsequence, like Python's
///   `bytes.decode(errors="replace")` (Swift's `String(decoding:as:)`).
struct LineReader {
    private let fileDescriptor: Int32
    private var buffer: [UInt8]  // bytes start..<end are read but not yet returned
    private var start = 0
    private var end = 0
    private var scanned = 0  // start...scanned holds no "\n" (scanned ≤ end)
    private var atEnd = false

    init(fileDescriptor: Int32, chunkSize: Int = 1 << 20) {
        precondition(chunkSize > 0, "chunk size must be positive")
        self.fileDescriptor = fileDescriptor
        buffer = [UInt8](repeating: 0, count: chunkSize)
    }

    /// The next line, or nil at the end of the input.
    mutating func next() throws -> String? {
        while true {
            if let newline = findNewline() {
                let line = decode(start, newline)
                start = newline + 1
                scanned = start
                return line
            }
            if atEnd {
                guard start < end else { return nil }
                let line = decode(start, end)
                start = end
                scanned = end
                return line
            }
            try fill()
        }
    }

    mutating func readAll() throws -> [String] {
        var lines: [String] = []
        while let line = try next() { lines.append(line) }
        return lines
    }

    /// The index of the first "\n" in scanned..<end (memchr), remembering how far it looked.
    private mutating func findNewline() -> Int? {
        let from = scanned, to = end
        guard from < to else { return nil }
        let hit: Int? = buffer.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, let p = memchr(base + from, 0x0A, to - from) else { return nil }
            return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(p))
        }
        if hit == nil { scanned = to }
        return hit
    }

    /// The text of bytes from..<to without a trailing "\r".
    private func decode(_ from: Int, _ to: Int) -> String {
        var to = to
        if to > from && buffer[to - 1] == 0x0D { to -= 1 }
        return buffer.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[from..<to]), as: UTF8.self) }
    }

    /// Moves the unread bytes to the front (growing the buffer when one line fills it) and reads more.
    private mutating func fill() throws {
        if start > 0 {
            let (from, count) = (start, end - start)
            buffer.withUnsafeMutableBufferPointer { b in
                guard let base = b.baseAddress else { return }
                memmove(base, base + from, count)
            }
            end -= start
            scanned -= start
            start = 0
        }
        if end == buffer.count { buffer.append(contentsOf: repeatElement(0, count: buffer.count)) }
        let (fd, offset) = (fileDescriptor, end)
        let n = buffer.withUnsafeMutableBufferPointer { b -> Int in
            guard let base = b.baseAddress else { return 0 }
            return read(fd, base + offset, b.count - offset)
        }
        if n < 0 {
            if errno == EINTR { return }
            throw StandardStreamError(stream: "read standard input", code: errno)
        }
        if n == 0 { atEnd = true } else { end += n }
    }
}

enum StandardInput {
    /// Every line of standard input, as `LineReader` splits and decodes them.
    static func readLines() throws -> [String] {
        var reader = LineReader(fileDescriptor: 0)
        return try reader.readAll()
    }
}
