/// Why a safetensors file could not be read or written. Every case carries the file path and names the
/// tensor or header field at fault, so that the CLI can print ``description`` as it is.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable, Sendable {
    // The file itself.
    case cannotOpen(path: String, reason: String)
    case notARegularFile(path: String)
    /// Shorter than the 8-byte header length field.
    case truncated(path: String, fileSize: Int)
    /// The header length field exceeds the bytes after it or the 100 MB limit.
    case headerLengthOutOfRange(path: String, headerLength: UInt64, available: Int, limit: Int)

    // The JSON header.
    case headerNotUTF8(path: String)
    case invalidHeaderJSON(path: String, reason: String)
    case headerNotObject(path: String)
    /// `__metadata__` is not an object, or one of its values (named by `key`) is not a string.
    case invalidMetadata(path: String, key: String?)
    case entryNotObject(path: String, tensor: String)
    case missingField(path: String, tensor: String, field: String)
    case invalidField(path: String, tensor: String, field: String, reason: String)
    case unknownDType(path: String, tensor: String, dtype: String)

    // Where the tensors lie in the data section (the bytes after the header).
    case invalidOffsets(path: String, tensor: String, begin: Int, end: Int)
    case offsetsOutOfRange(path: String, tensor: String, end: Int, dataSize: Int)
    case byteCountMismatch(path: String, tensor: String, shape: [Int], dtype: SafeTensorsDType, expected: Int, actual: Int)
    case overlapping(path: String, tensor: String, other: String)
    /// Bytes `begin..<end` of the data section belong to no tensor; `after` is the tensor before them.
    case uncoveredData(path: String, after: String?, begin: Int, end: Int)

    // Reading.
    case tensorNotFound(path: String, tensor: String)
    case notConvertibleToFloat(path: String, tensor: String, dtype: SafeTensorsDType)
    case destinationSizeMismatch(path: String, tensor: String, elements: Int, destination: Int)

    // Writing.
    case invalidTensorName(path: String, tensor: String, reason: String)
    case valueCountMismatch(path: String, tensor: String, shape: [Int], values: Int)
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            "\(path): cannot open safetensors file: \(reason)"
        case let .notARegularFile(path):
            "\(path): not a regular file"
        case let .truncated(path, fileSize):
            "\(path): truncated: \(fileSize) bytes, too short for the 8-byte header length"
        case let .headerLengthOutOfRange(path, headerLength, available, limit):
            headerLength > UInt64(available)
                ? "\(path): header length \(headerLength) exceeds the \(available) bytes after it"
                : "\(path): header length \(headerLength) exceeds the limit of \(limit) bytes"
        case let .headerNotUTF8(path):
            "\(path): header is not valid UTF-8"
        case let .invalidHeaderJSON(path, reason):
            "\(path): header is not valid JSON: \(reason)"
        case let .headerNotObject(path):
            "\(path): header is not a JSON object"
        case let .invalidMetadata(path, key?):
            "\(path): __metadata__ value for \"\(key)\" is not a string"
        case let .invalidMetadata(path, nil):
            "\(path): __metadata__ is not an object of strings"
        case let .entryNotObject(path, tensor):
            "\(path): tensor \"\(tensor)\": header entry is not an object"
        case let .missingField(path, tensor, field):
            "\(path): tensor \"\(tensor)\": missing field \"\(field)\""
        case let .invalidField(path, tensor, field, reason):
            "\(path): tensor \"\(tensor)\": field \"\(field)\" \(reason)"
        case let .unknownDType(path, tensor, dtype):
            "\(path): tensor \"\(tensor)\": unknown dtype \"\(dtype)\""
        case let .invalidOffsets(path, tensor, begin, end):
            "\(path): tensor \"\(tensor)\": data_offsets begin \(begin) is after end \(end)"
        case let .offsetsOutOfRange(path, tensor, end, dataSize):
            "\(path): tensor \"\(tensor)\": data_offsets end \(end) is beyond the \(dataSize)-byte data section"
        case let .byteCountMismatch(path, tensor, shape, dtype, expected, actual):
            "\(path): tensor \"\(tensor)\": shape \(shape) of \(dtype.rawValue) needs \(expected) bytes, data_offsets span \(actual)"
        case let .overlapping(path, tensor, other):
            "\(path): tensor \"\(tensor)\": data_offsets overlap those of \"\(other)\""
        case let .uncoveredData(path, after, begin, end):
            "\(path): data section bytes \(begin)..<\(end) belong to no tensor"
                + (after.map { " (gap after tensor \"\($0)\")" } ?? " (gap before the first tensor)")
        case let .tensorNotFound(path, tensor):
            "\(path): no tensor named \"\(tensor)\""
        case let .notConvertibleToFloat(path, tensor, dtype):
            "\(path): tensor \"\(tensor)\": dtype \(dtype.rawValue) cannot be read as Float"
        case let .destinationSizeMismatch(path, tensor, elements, destination):
            "\(path): tensor \"\(tensor)\" has \(elements) elements, the destination holds \(destination)"
        case let .invalidTensorName(path, tensor, reason):
            "\(path): tensor \"\(tensor)\": \(reason)"
        case let .valueCountMismatch(path, tensor, shape, values):
            "\(path): tensor \"\(tensor)\": shape \(shape) does not hold \(values) values"
        case let .writeFailed(path, reason):
            "\(path): cannot write: \(reason)"
        }
    }
}
