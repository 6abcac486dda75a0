#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one line reader of the project: reads a file or a file descriptor (standard input) in large
/// chunks, without loading it whole, and returns its lines as raw bytes numbered from 1.
/// - "\n" ends a line; a "\r" just before it (or at the very end) is dropped, so "\r\n" files work;
/// - a UTF-8 byte-order mark at the start of the input is dropped;
/// - every line is returned, empty ones included (callers skip blank lines with `isBlank`); a last
///   line without "\n" still counts, and input ending in "\n" has no extra empty line after it.
public final class LineReader {
    /// The name errors give: the path, or e.g. "standard input".
    public let path: String
    public private(set) var lineNumber = 0
    private let fileDescriptor: Int32
    private let ownsDescriptor: Bool
    private var buffer: [UInt8]  // bytes start..<end are read but not yet returned
    private var start = 0
    private var end = 0
    private var scanned = 0  // start..<scanned holds no "\n" (scanned ≤ end)
    private var atEnd = false

    /// Opens `path`; a missing file, a directory (which would read as empty) or an unreadable file is
    /// a `DataError.cannotRead` naming it.
    public init(path: String, chunkSize: Int = 1 << 20) throws(DataError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .cannotRead(file: path, reason: String(cString: strerror(errno))) }
        var status = stat()
        if fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw .cannotRead(file: path, reason: "is a directory, not a file")
        }
        self.path = path
        fileDescriptor = fd
        ownsDescriptor = true
        buffer = [UInt8](repeating: 0, count: Swift.max(chunkSize, 16))
    }

    /// Reads an open descriptor (not closed here), e.g. 0 for standard input.
    public init(fileDescriptor: Int32, name: String, chunkSize: Int = 1 << 20) {
        path = name
        self.fileDescriptor = fileDescriptor
        ownsDescriptor = false
        buffer = [UInt8](repeating: 0, count: Swift.max(chunkSize, 16))
    }

    deinit {
        if ownsDescriptor { close(fileDescriptor) }
    }

    /// The next line's bytes without its terminator, or nil at the end of the input.
    public func next() throws(DataError) -> [UInt8]? {
        while true {
            if let newline = findNewline() {
                let line = take(start, newline)
                start = newline + 1
                scanned = start
                return line
            }
            if atEnd {
                guard start < end else { return nil }
                let line = take(start, end)
                start = end
                scanned = end
                return line
            }
            try fill()
        }
    }

    /// The next line decoded as UTF-8, invalid bytes replaced by U+FFFD (one per maximal invalid
    /// subsequence, like Python's `bytes.decode(errors="replace")`).
    public func nextText() throws(DataError) -> String? {
        guard let bytes = try next() else { return nil }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// True for a line holding only spaces, tabs or nothing (skipped by every file reader).
    public static func isBlank(_ bytes: [UInt8]) -> Bool { bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 } }

    /// The index of the first "\n" in scanned..<end (memchr), remembering how far it looked.
    private func findNewline() -> Int? {
        let from = scanned, to = end
        guard from < to else { return nil }
        let hit: Int? = buffer.withUnsafeBufferPointer { b in
            guard let base = b.baseAddress, let p = memchr(base + from, 0x0A, to - from) else { return nil }
            return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(p))
        }
        if hit == nil { scanned = to }
        return hit
    }

    /// Bytes from..<to without a trailing "\r" (and, on line 1, without a byte-order mark).
    private func take(_ from: Int, _ to: Int) -> [UInt8] {
        lineNumber += 1
        var (from, to) = (from, to)
        if to > from && buffer[to - 1] == 0x0D { to -= 1 }
        if lineNumber == 1 && to - from >= 3 && buffer[from] == 0xEF && buffer[from + 1] == 0xBB && buffer[from + 2] == 0xBF {
            from += 3
        }
        return Array(buffer[from..<to])
    }

    /// Moves the unread bytes to the front (growing the buffer when one line fills it) and reads more.
    private func fill() throws(DataError) {
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
            throw .cannotRead(file: path, reason: String(cString: strerror(errno)))
        }
        if n == 0 { atEnd = true } else { end += n }
    }
}
