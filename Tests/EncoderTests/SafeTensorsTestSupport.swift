import Foundation
@testable import Encoder

/// Builds safetensors files byte by byte, so that tests can write files that lie.
enum CraftedFile {
    /// A fresh empty directory under the system temporary directory.
    static func directory() -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("embedtune-tests-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ bytes: [UInt8], name: String = "crafted.safetensors") -> URL {
        let url = directory().appendingPathComponent(name)
        let created = FileManager.default.createFile(atPath: url.path, contents: Data(bytes))
        precondition(created, "cannot create \(url.path)")
        return url
    }

    /// 8-byte little-endian length (the header's own unless `headerLength` is given), header, data.
    static func safetensors(header: String, data: [UInt8] = [], headerLength: UInt64? = nil) -> URL {
        let json = Array(header.utf8)
        return write(littleEndian(headerLength ?? UInt64(json.count)) + json + data)
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func bytes(_ values: [Float]) -> [UInt8] { values.flatMap { littleEndian($0.bitPattern) } }

    /// The error `SafeTensorsFile(url:)` throws, or nil if it opens.
    static func openError(_ url: URL) -> SafeTensorsError? {
        do {
            _ = try SafeTensorsFile(url: url)
            return nil
        } catch let error as SafeTensorsError {
            return error
        } catch {
            return .cannotOpen(path: "unexpected error type", reason: "\(error)")
        }
    }
}
