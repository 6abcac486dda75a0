import Foundation

/// Why an .npy file could not be written or read; each case names the file and the field at fault.
public enum NPYError: Error, CustomStringConvertible, Equatable, Sendable {
    case valueCountMismatch(path: String, rows: Int, cols: Int, values: Int)
    case rowCountMismatch(path: String, expected: Int, written: Int)
    case writeFailed(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    case invalidHeader(path: String, field: String, reason: String)
    case dataSizeMismatch(path: String, shape: [Int], expectedBytes: Int, actualBytes: Int)

    public var description: String {
        switch self {
        case let .valueCountMismatch(path, rows, cols, values):
            "\(path): \(values) values do not fill \(rows) rows of \(cols)"
        case let .rowCountMismatch(path, expected, written):
            "\(path): header announces \(expected) rows, \(written) were written"
        case let .writeFailed(path, reason):
            "\(path): cannot write: \(reason)"
        case let .cannotRead(path, reason):
            "\(path): cannot read: \(reason)"
        case let .invalidHeader(path, field, reason):
            "\(path): .npy header field \"\(field)\": \(reason)"
        case let .dataSizeMismatch(path, shape, expectedBytes, actualBytes):
            "\(path): shape \(shape) of float32 needs \(expectedBytes) data bytes, the file has \(actualBytes)"
        }
    }
}

/// The .npy header, format version 1.0 (numpy `lib/format.py`, "Format Version 1.0"): the magic
/// `\x93NUMPY`, version bytes 1 0, a little-endian UInt16 header length, then a Python dict literal
/// padded with spaces and ended by `\n` so that the data starts at a multiple of 64 bytes.
enum NPYHeader {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    /// The whole preamble for a C-order little-endian float32 array of shape (rows, cols), at least
    /// `minimumSize` bytes long.
    static func encode(rows: Int, cols: Int, minimumSize: Int = 0) -> [UInt8] {
        let dictionary = Array("{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }".utf8)
        let unpadded = magic.count + 4 + dictionary.count + 1
        let total = max(minimumSize, (unpadded + 63) / 64 * 64)
        let headerLength = total - magic.count - 4
        var bytes = magic + [1, 0, UInt8(headerLength & 0xFF), UInt8(headerLength >> 8)]
        bytes += dictionary
        bytes += repeatElement(UInt8(ascii: " "), count: total - unpadded)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }
}

/// Writes a float32 matrix of shape (rows, cols) as a NumPy .npy file (`numpy.load` reads it).
public enum NPYWriter {
    /// - Parameter values: (rows, cols) row-major.
    public static func write(rows: Int, cols: Int, values: UnsafeBufferPointer<Float>, to url: URL) throws {
        guard rows >= 0, cols >= 0, values.count == rows * cols else {
            throw NPYError.valueCountMismatch(path: url.path, rows: rows, cols: cols, values: values.count)
        }
        do {
            let file = try AtomicFileWriter(destination: url)
            try file.write(NPYHeader.encode(rows: rows, cols: cols))
            try SafeTensorsWriter.writeLittleEndian(values, to: file)
            try file.commit()
        } catch let failure as AtomicFileWriter.Failure {
            throw NPYError.writeFailed(path: url.path, reason: failure.description)
        }
    }
}

/// Writes a float32 .npy matrix row block by row block, for outputs too large to hold (`embed --output`).
///
/// The header is written first with room for any row count; ``finish()`` rewrites it with the number of
/// rows appended (checking it against `rows` when that was announced) and moves the file into place
/// atomically. Dropped without `finish()`, nothing is left behind.
public final class NPYStreamWriter {
    public let url: URL
    public let cols: Int
    public let expectedRows: Int?
    public private(set) var rowsWritten = 0
    private var finished = false
    private let file: AtomicFileWriter
    /// Every header written for this file has this size, so that the final one fits over the first.
    private let headerSize: Int

    public init(url: URL, cols: Int, rows: Int? = nil) throws {
        precondition(cols > 0 && (rows ?? 0) >= 0, "an .npy row stream needs cols > 0 and rows >= 0")
        self.url = url
        self.cols = cols
        self.expectedRows = rows
        headerSize = NPYHeader.encode(rows: Int.max, cols: cols).count
        do {
            file = try AtomicFileWriter(destination: url)
            try file.write(NPYHeader.encode(rows: rows ?? 0, cols: cols, minimumSize: headerSize))
        } catch let failure as AtomicFileWriter.Failure {
            throw NPYError.writeFailed(path: url.path, reason: failure.description)
        }
    }

    /// Appends whole rows. - Parameter values: (n, cols) row-major.
    public func append(_ values: UnsafeBufferPointer<Float>) throws {
        precondition(!finished, "append after finish")
        guard values.count % cols == 0 else {
            throw NPYError.valueCountMismatch(path: url.path, rows: rowsWritten, cols: cols, values: values.count)
        }
        do {
            try SafeTensorsWriter.writeLittleEndian(values, to: file)
        } catch let failure as AtomicFileWriter.Failure {
            throw NPYError.writeFailed(path: url.path, reason: failure.description)
        }
        rowsWritten += values.count / cols
    }

    /// Writes the final header and moves the file into place.
    public func finish() throws {
        precondition(!finished, "finish called twice")
        if let expectedRows, expectedRows != rowsWritten {
            throw NPYError.rowCountMismatch(path: url.path, expected: expectedRows, written: rowsWritten)
        }
        do {
            try file.write(NPYHeader.encode(rows: rowsWritten, cols: cols, minimumSize: headerSize), at: 0)
            try file.commit()
            finished = true
        } catch let failure as AtomicFileWriter.Failure {
            throw NPYError.writeFailed(path: url.path, reason: failure.description)
        }
    }
}
