import Foundation

/// One tensor as the header describes it.
public struct SafeTensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: SafeTensorsDType
    /// Row-major (C order), outermost dimension first; `[]` is a scalar holding one element.
    public let shape: [Int]
    /// The header's `data_offsets`: bytes relative to the start of the data section (the byte after the header).
    public let byteRange: Range<Int>

    /// Number of elements, the product of `shape`.
    public var count: Int { shape.reduce(1, *) }
}

/// Parses and validates the JSON header of a safetensors file.
///
/// Format (huggingface/safetensors README, "Format"; checks as in `safetensors/src/tensor.rs`, `validate`):
/// `{"__metadata__": {String: String}?, "<name>": {"dtype": String, "shape": [Int], "data_offsets": [begin, end]}, ...}`.
/// A header is accepted only if, taken together, the tensors' byte ranges tile the data section exactly:
/// no overlap, no gap between tensors, none before the first or after the last (Hugging Face rejects such
/// files too, as `InvalidOffset` or `MetadataIncompleteBuffer`). Zero-sized tensors have `begin == end`.
/// Duplicate keys cannot be detected: Foundation's JSON parser keeps the last one.
struct SafeTensorsHeader {
    /// Longest header accepted, as in Hugging Face's `MAX_HEADER_SIZE`.
    static let maximumLength = 100_000_000

    let tensors: [String: SafeTensorInfo]
    let metadata: [String: String]

    /// - Parameters:
    ///   - json: the header bytes (UTF-8 JSON, possibly padded with trailing spaces).
    ///   - dataSize: bytes in the file after the header.
    ///   - path: the file, for error messages.
    init(json: UnsafeRawBufferPointer, dataSize: Int, path: String) throws {
        guard let text = String(validating: json, as: UTF8.self) else {
            throw SafeTensorsError.headerNotUTF8(path: path)
        }
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        } catch {
            throw SafeTensorsError.invalidHeaderJSON(path: path, reason: Self.reason(error))
        }
        guard let object = parsed as? [String: Any] else {
            throw SafeTensorsError.headerNotObject(path: path)
        }

        var metadata: [String: String] = [:]
        var tensors: [String: SafeTensorInfo] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                metadata = try Self.parseMetadata(value, path: path)
                continue
            }
            let info = try Self.parseEntry(name: name, value, dataSize: dataSize, path: path)
            tensors[name] = info
        }
        try Self.checkTiling(Array(tensors.values), dataSize: dataSize, path: path)
        self.tensors = tensors
        self.metadata = metadata
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }

    private static func parseMetadata(_ value: Any, path: String) throws -> [String: String] {
        guard let dictionary = value as? [String: Any] else {
            throw SafeTensorsError.invalidMetadata(path: path, key: nil)
        }
        var metadata: [String: String] = [:]
        for (key, item) in dictionary {
            guard let string = item as? String else {
                throw SafeTensorsError.invalidMetadata(path: path, key: key)
            }
            metadata[key] = string
        }
        return metadata
    }

    /// A JSON integer as `Int`: rejects booleans, fractions (`2.0` included) and values beyond `Int`.
    private static func integer(_ value: Any) -> Int? {
        guard let number = value as? NSNumber else { return nil }
        let type = String(cString: number.objCType)
        guard type != "c", type != "d", type != "f", type != "B" else { return nil }
        return value as? Int
    }

    private static func parseEntry(name: String, _ value: Any, dataSize: Int, path: String) throws -> SafeTensorInfo {
        guard let entry = value as? [String: Any] else {
            throw SafeTensorsError.entryNotObject(path: path, tensor: name)
        }
        func field(_ key: String) throws -> Any {
            guard let item = entry[key] else {
                throw SafeTensorsError.missingField(path: path, tensor: name, field: key)
            }
            return item
        }
        func invalid(_ key: String, _ reason: String) -> SafeTensorsError {
            .invalidField(path: path, tensor: name, field: key, reason: reason)
        }

        guard let dtypeName = try field("dtype") as? String else { throw invalid("dtype", "is not a string") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDType(path: path, tensor: name, dtype: dtypeName)
        }

        guard let shapeItems = try field("shape") as? [Any] else { throw invalid("shape", "is not an array") }
        var shape: [Int] = []
        var count = 1
        for item in shapeItems {
            guard let dimension = integer(item) else { throw invalid("shape", "holds \(item), not an integer") }
            guard dimension >= 0 else { throw invalid("shape", "holds the negative dimension \(dimension)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw invalid("shape", "has an element count that overflows") }
            shape.append(dimension)
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        guard !overflow else { throw invalid("shape", "has a byte count that overflows") }

        guard let offsetItems = try field("data_offsets") as? [Any] else {
            throw invalid("data_offsets", "is not an array")
        }
        guard offsetItems.count == 2 else { throw invalid("data_offsets", "has \(offsetItems.count) items, not 2") }
        guard let begin = integer(offsetItems[0]), let end = integer(offsetItems[1]), begin >= 0, end >= 0 else {
            throw invalid("data_offsets", "does not hold two non-negative integers")
        }
        guard begin <= end else {
            throw SafeTensorsError.invalidOffsets(path: path, tensor: name, begin: begin, end: end)
        }
        guard end <= dataSize else {
            throw SafeTensorsError.offsetsOutOfRange(path: path, tensor: name, end: end, dataSize: dataSize)
        }
        guard end - begin == byteCount else {
            throw SafeTensorsError.byteCountMismatch(
                path: path, tensor: name, shape: shape, dtype: dtype, expected: byteCount, actual: end - begin)
        }
        return SafeTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    /// Checks that the byte ranges cover `0..<dataSize` exactly once.
    private static func checkTiling(_ tensors: [SafeTensorInfo], dataSize: Int, path: String) throws {
        let ordered = tensors.sorted {
            ($0.byteRange.lowerBound, $0.byteRange.upperBound, $0.name)
                < ($1.byteRange.lowerBound, $1.byteRange.upperBound, $1.name)
        }
        var covered = 0  // every byte before this offset belongs to exactly one tensor
        var last: String? = nil  // the tensor that ends at `covered`
        for info in ordered {
            if info.byteRange.lowerBound < covered, let last {
                throw SafeTensorsError.overlapping(path: path, tensor: info.name, other: last)
            }
            if info.byteRange.lowerBound > covered {
                throw SafeTensorsError.uncoveredData(
                    path: path, after: last, begin: covered, end: info.byteRange.lowerBound)
            }
            if !info.byteRange.isEmpty || last == nil {
                covered = info.byteRange.upperBound
                last = info.name
            }
        }
        if covered < dataSize {
            throw SafeTensorsError.uncoveredData(path: path, after: last, begin: covered, end: dataSize)
        }
    }
}
