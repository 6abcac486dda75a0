import Foundation
import Tensor
import Testing
@testable import Encoder

@Suite struct SafeTensorsWriterTests {
    /// Values that must survive bit for bit: signed zeros, subnormals, infinities, a NaN with a payload.
    static let special: [Float] = [
        0, -0.0, .leastNonzeroMagnitude, -.leastNormalMagnitude, .greatestFiniteMagnitude, .infinity, -.infinity,
        Float(bitPattern: 0x7FC1_2345), Float(bitPattern: 0xFF80_0001), 1.0 / 3.0,
    ]

    func randomValues(_ count: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Float(bitPattern: UInt32(truncatingIfNeeded: rng.next())) }
    }

    @Test func roundTripIsBitExact() throws {
        let a = randomValues(3 * 5, seed: 1)
        let b = Self.special
        let url = CraftedFile.directory().appendingPathComponent("model.safetensors")
        try a.withUnsafeBufferPointer { pa in
            try b.withUnsafeBufferPointer { pb in
                try SafeTensorsWriter.write(
                    [(name: "z.weight", shape: [3, 5], values: pa), (name: "a.bias", shape: [10], values: pb)],
                    metadata: ["format": "pt"], to: url)
            }
        }
        let file = try SafeTensorsFile(url: url)
        #expect(file.names == ["a.bias", "z.weight"])
        #expect(file.metadata == ["format": "pt"])
        #expect(file.info("z.weight")?.shape == [3, 5])
        #expect(try file.floats("z.weight").map(\.bitPattern) == a.map(\.bitPattern))
        #expect(try file.floats("a.bias").map(\.bitPattern) == b.map(\.bitPattern))
    }

    @Test func layoutFollowsHuggingFace() throws {
        let values: [Float] = [1, 2, 3]
        let url = CraftedFile.directory().appendingPathComponent("t.safetensors")
        try values.withUnsafeBufferPointer { p in
            try SafeTensorsWriter.write(
                [(name: "b", shape: [1], values: UnsafeBufferPointer(rebasing: p[0..<1])),
                 (name: "a", shape: [2], values: UnsafeBufferPointer(rebasing: p[1..<3]))],
                metadata: ["format": "pt", "note": "quote \" backslash \\ newline \n"], to: url)
        }
        let bytes = try [UInt8](Data(contentsOf: url))
        let length = bytes[0..<8].reversed().reduce(0) { $0 << 8 | Int($1) }
        #expect((8 + length) % 8 == 0, "the data section starts 8-byte aligned")
        let header = try #require(String(bytes: bytes[8..<(8 + length)], encoding: .utf8))
        #expect(header.hasPrefix(#"{"__metadata__":"#))
        #expect(header.last == " " || header.last == "}")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(header.utf8)) as? [String: Any])
        #expect((object["__metadata__"] as? [String: String])?["note"] == "quote \" backslash \\ newline \n")
        // Sorted by name: "a" first.
        #expect(((object["a"] as? [String: Any])?["data_offsets"] as? [Int]) == [0, 8])
        #expect(((object["b"] as? [String: Any])?["data_offsets"] as? [Int]) == [8, 12])
        #expect(bytes.count == 8 + length + 12)
        #expect(Array(bytes[(8 + length)...]) == CraftedFile.bytes([2, 3, 1]))
    }

    @Test func writesTensorsAndOverwritesAtomically() throws {
        let directory = CraftedFile.directory()
        let url = directory.appendingPathComponent("m.safetensors")
        #expect(FileManager.default.createFile(atPath: url.path, contents: Data("old".utf8)))
        let weight = Tensor(shape: [2, 2], values: [1, 2, 3, 4])
        let scalar = Tensor(shape: [], values: [5])
        try SafeTensorsWriter.write(["w": weight, "s": scalar], metadata: nil, to: url)
        let file = try SafeTensorsFile(url: url)
        #expect(file.metadata.isEmpty)
        #expect(try file.tensor("w").array == [1, 2, 3, 4])
        #expect(try file.tensor("s").shape == [])
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["m.safetensors"])
    }

    @Test func rejectsBadNamesAndShapesWithoutWriting() throws {
        let directory = CraftedFile.directory()
        let url = directory.appendingPathComponent("bad.safetensors")
        let values: [Float] = [1, 2, 3]
        values.withUnsafeBufferPointer { p in
            #expect(throws: SafeTensorsError.valueCountMismatch(path: url.path, tensor: "w", shape: [2, 2], values: 3)) {
                try SafeTensorsWriter.write([(name: "w", shape: [2, 2], values: p)], metadata: nil, to: url)
            }
            #expect(throws: SafeTensorsError.invalidTensorName(path: url.path, tensor: "w", reason: "name appears twice")) {
                try SafeTensorsWriter.write([(name: "w", shape: [3], values: p), (name: "w", shape: [3], values: p)], metadata: nil, to: url)
            }
            #expect(throws: SafeTensorsError.invalidTensorName(path: url.path, tensor: "__metadata__", reason: "name is reserved or empty")) {
                try SafeTensorsWriter.write([(name: "__metadata__", shape: [3], values: p)], metadata: nil, to: url)
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func unwritableDestinationIsATypedError() {
        let url = CraftedFile.directory().appendingPathComponent("no/such/dir/m.safetensors")
        do {
            try SafeTensorsWriter.write([String: Tensor](), metadata: nil, to: url)
            Issue.record("writing into a missing directory succeeded")
        } catch let error as SafeTensorsError {
            guard case .writeFailed(let path, _) = error else { Issue.record("unexpected \(error)"); return }
            #expect(path == url.path)
        } catch {
            Issue.record("untyped error \(error)")
        }
    }
}
