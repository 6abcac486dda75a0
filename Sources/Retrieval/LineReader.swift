#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a text file line by line through C `getline`, without loading it whole. Lines come back
/// as raw bytes with the terminator ("\n" or "\r\n") removed, numbered from 1.
final class LineReader {
    let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: UnsafeMutablePointer<CChar>?
    private var capacity = 0
    private(set) var lineNumber = 0

    /// nil when the file cannot be opened or is a directory (errno says why: a directory opens, then reads
    /// as empty, so it is refused here with EISDIR).
    init?(path: String) {
        guard let f = fopen(path, "rb") else { return nil }
        var status = stat()
        if fstat(fileno(f), &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR {
            fclose(f)
            errno = EISDIR
            return nil
        }
        self.path = path
        self.file = f
    }

    deinit {
        free(buffer)
        fclose(file)
    }

    /// The next line's bytes, or nil at the end of the file.
    func next() -> [UInt8]? {
        let n = getline(&buffer, &capacity, file)
        guard n >= 0, let buffer else { return nil }
        lineNumber += 1
        var length = n
        if length > 0 && buffer[length - 1] == 0x0A { length -= 1 }
        if length > 0 && buffer[length - 1] == 0x0D { length -= 1 }
        return buffer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}
