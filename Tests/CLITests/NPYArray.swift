import Foundation

/// A float32 array read from a NumPy .npy file (format versions 1–3, as `numpy.save` writes them):
/// magic "\x93NUMPY", version, little-endian header length, a Python dict literal header, raw data.
/// Written here from the format description (numpy/lib/format.py) so that the CLI tests check the
/// file without using the project's own reader.
struct NPYArray {
    var shape: [Int]
    var values: [Float]

    init(contentsOf url: URL) throws {
        let bytes = [UInt8](try Data(contentsOf: url))
        let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw CLITestError("\(url.path): no .npy magic") }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw CLITestError("\(url.path): truncated header length") }
            headerLength = (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) }
            headerStart = 12
        default:
            throw CLITestError("\(url.path): unknown .npy version \(major)")
        }
        let dataStart = headerStart + headerLength
        guard dataStart <= bytes.count else { throw CLITestError("\(url.path): header runs past the file") }
        guard dataStart % 64 == 0 else { throw CLITestError("\(url.path): data does not start at a multiple of 64") }
        let header = String(decoding: bytes[headerStart..<dataStart], as: UTF8.self)
        guard header.hasSuffix("\n") else { throw CLITestError("\(url.path): header does not end in a newline") }
        guard header.contains("'descr': '<f4'") else { throw CLITestError("\(url.path): dtype is not '<f4': \(header)") }
        guard header.contains("'fortran_order': False") else { throw CLITestError("\(url.path): not C order: \(header)") }
        guard let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")") else {
            throw CLITestError("\(url.path): no shape in \(header)")
        }
        let shapeText = header[open.upperBound..<close]
        shape = try shapeText.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            .map { guard let n = Int($0) else { throw CLITestError("\(url.path): bad shape \(shapeText)") }; return n }
        let count = shape.reduce(1, *)
        guard bytes.count - dataStart == 4 * count else {
            throw CLITestError("\(url.path): \(bytes.count - dataStart) data bytes for shape \(shape)")
        }
        values = (0..<count).map { i in
            let p = dataStart + 4 * i
            let bits = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}
