import Foundation

/// Reads a float32 .npy array (numpy `lib/format.py`, versions 1.0–3.0), for tests and reference fixtures.
/// Only C-order little-endian float32 (`'<f4'`) is accepted; anything else is an ``NPYError`` naming the field.
public enum NPYReader {
    public static func read(_ url: URL) throws -> (shape: [Int], values: [Float]) {
        let path = url.path
        let data: [UInt8]
        do {
            data = try [UInt8](Data(contentsOf: url))
        } catch {
            throw NPYError.cannotRead(path: path, reason: (error as NSError).localizedDescription)
        }
        guard data.count >= 10, Array(data[0..<6]) == NPYHeader.magic else {
            throw NPYError.invalidHeader(path: path, field: "magic", reason: "not an .npy file")
        }
        let major = data[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(data[8]) | Int(data[9]) << 8
            headerStart = 10
        case 2, 3:
            guard data.count >= 12 else {
                throw NPYError.invalidHeader(path: path, field: "header length", reason: "file ends inside it")
            }
            headerLength = (0..<4).reduce(0) { $0 | Int(data[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw NPYError.invalidHeader(path: path, field: "version", reason: "unsupported version \(major)")
        }
        guard headerStart + headerLength <= data.count,
            let header = String(bytes: data[headerStart..<(headerStart + headerLength)], encoding: .utf8)
        else {
            throw NPYError.invalidHeader(path: path, field: "header length", reason: "\(headerLength) bytes do not fit")
        }

        guard let descr = quotedValue(after: "'descr':", in: header) else {
            throw NPYError.invalidHeader(path: path, field: "descr", reason: "missing")
        }
        guard descr == "<f4" else {
            throw NPYError.invalidHeader(path: path, field: "descr", reason: "'\(descr)' is not little-endian float32")
        }
        guard let fortran = value(after: "'fortran_order':", in: header, until: ",}") else {
            throw NPYError.invalidHeader(path: path, field: "fortran_order", reason: "missing")
        }
        guard fortran == "False" else {
            throw NPYError.invalidHeader(path: path, field: "fortran_order", reason: "\(fortran) is not supported")
        }
        guard let tuple = value(after: "'shape':", in: header, until: ")"), tuple.hasPrefix("(") else {
            throw NPYError.invalidHeader(path: path, field: "shape", reason: "missing")
        }
        var shape: [Int] = []
        for part in tuple.dropFirst().split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let dimension = Int(trimmed), dimension >= 0 else {
                throw NPYError.invalidHeader(path: path, field: "shape", reason: "'\(trimmed)' is not a dimension")
            }
            shape.append(dimension)
        }

        let dataStart = headerStart + headerLength
        var count = 1
        for dimension in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= Int.max / 4 else {
                throw NPYError.invalidHeader(path: path, field: "shape", reason: "\(shape) overflows")
            }
            count = product
        }
        guard data.count - dataStart == 4 * count else {
            throw NPYError.dataSizeMismatch(
                path: path, shape: shape, expectedBytes: 4 * count, actualBytes: data.count - dataStart)
        }
        let values = data.withUnsafeBytes { bytes in
            (0..<count).map { i in
                Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: dataStart + 4 * i, as: UInt32.self)))
            }
        }
        return (shape, values)
    }

    /// The text between `key` and the first of `terminators` (trimmed), e.g. `(3, 4` for `'shape':` and `)`.
    private static func value(after key: String, in header: String, until terminators: String) -> String? {
        guard let keyRange = header.range(of: key) else { return nil }
        let rest = header[keyRange.upperBound...]
        guard let end = rest.firstIndex(where: { terminators.contains($0) }) else { return nil }
        return rest[..<end].trimmingCharacters(in: .whitespaces)
    }

    /// The single-quoted string after `key`.
    private static func quotedValue(after key: String, in header: String) -> String? {
        guard let text = value(after: key, in: header, until: ",}"), text.count >= 2,
            text.first == "'", text.last == "'"
        else { return nil }
        return String(text.dropFirst().dropLast())
    }
}
