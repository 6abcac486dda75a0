import Foundation
import Tensor

/// Writes F32 tensors in the safetensors format (huggingface/safetensors README, "Format").
///
/// Like Hugging Face's `serialize`: tensors are laid out in name order, the header JSON is padded with
/// spaces so that the data section starts at a multiple of 8 bytes, and `__metadata__` (for example
/// `["format": "pt"]`, which `transformers` expects) comes first when given. The file is written atomically.
public enum SafeTensorsWriter {
    public typealias Entry = (name: String, shape: [Int], values: UnsafeBufferPointer<Float>)

    public static func write(_ tensors: [Entry], metadata: [String: String]?, to url: URL) throws {
        let path = url.path
        let sorted = tensors.sorted { $0.name < $1.name }
        var offsets: [Range<Int>] = []
        var end = 0
        for (index, entry) in sorted.enumerated() {
            if entry.name.isEmpty || entry.name == "__metadata__" {
                throw SafeTensorsError.invalidTensorName(path: path, tensor: entry.name, reason: "name is reserved or empty")
            }
            if index > 0, sorted[index - 1].name == entry.name {
                throw SafeTensorsError.invalidTensorName(path: path, tensor: entry.name, reason: "name appears twice")
            }
            let count = entry.shape.reduce(1, *)
            guard entry.shape.allSatisfy({ $0 >= 0 }), count == entry.values.count else {
                throw SafeTensorsError.valueCountMismatch(
                    path: path, tensor: entry.name, shape: entry.shape, values: entry.values.count)
            }
            offsets.append(end..<(end + 4 * count))
            end += 4 * count
        }

        var header = "{"
        var fields: [String] = []
        if let metadata {
            let items = metadata.keys.sorted().map { "\(JSONStringLiteral.make($0)):\(JSONStringLiteral.make(metadata[$0] ?? ""))" }
            fields.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
        }
        for (entry, range) in zip(sorted, offsets) {
            let shape = entry.shape.map(String.init).joined(separator: ",")
            fields.append(
                "\(JSONStringLiteral.make(entry.name)):{\"dtype\":\"F32\",\"shape\":[\(shape)],"
                    + "\"data_offsets\":[\(range.lowerBound),\(range.upperBound)]}")
        }
        header += fields.joined(separator: ",") + "}"
        var headerBytes = Array(header.utf8)
        let padding = (8 - headerBytes.count % 8) % 8
        headerBytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))

        do {
            let file = try AtomicFileWriter(destination: url)
            var length = UInt64(headerBytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try file.write($0) }
            try file.write(headerBytes)
            for entry in sorted {
                try writeLittleEndian(entry.values, to: file)
            }
            try file.commit()
        } catch let failure as AtomicFileWriter.Failure {
            throw SafeTensorsError.writeFailed(path: path, reason: failure.description)
        }
    }

    /// Writes each tensor under its key, with its current shape.
    public static func write(_ tensors: [String: Tensor], metadata: [String: String]?, to url: URL) throws {
        let entries: [Entry] = tensors.map { name, tensor in
            (name: name, shape: tensor.shape, values: UnsafeBufferPointer(tensor.buffer))
        }
        try withExtendedLifetime(tensors) {
            try write(entries, metadata: metadata, to: url)
        }
    }

    static func writeLittleEndian(_ values: UnsafeBufferPointer<Float>, to file: AtomicFileWriter) throws {
        #if _endian(little)
        try file.write(UnsafeRawBufferPointer(values))
        #else
        let swapped = values.map { $0.bitPattern.littleEndian }
        try swapped.withUnsafeBytes { try file.write($0) }
        #endif
    }
}
