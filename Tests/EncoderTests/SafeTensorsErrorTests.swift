import Foundation
import Testing
@testable import Encoder

/// Every way a file can lie is a typed error naming the tensor or field, never a crash.
@Suite struct SafeTensorsErrorTests {
    typealias E = SafeTensorsError

    /// Opens the crafted file and checks the error and that its description names `mentions`.
    func expectError(_ url: URL, _ expected: (String) -> E, mentions: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = CraftedFile.openError(url)
        #expect(error == expected(url.path), sourceLocation: sourceLocation)
        let description = error?.description ?? ""
        #expect(description.contains(mentions), "\(description)", sourceLocation: sourceLocation)
        #expect(description.contains(url.path), sourceLocation: sourceLocation)
    }

    func header(_ entries: String) -> String { "{" + entries + "}" }

    @Test func emptyAndShortFilesAreTruncated() {
        for size in [0, 7] {
            let url = CraftedFile.write([UInt8](repeating: 2, count: size))
            expectError(url, { .truncated(path: $0, fileSize: size) }, mentions: "8-byte header length")
        }
    }

    @Test func headerLengthBeyondTheFileIsRejected() {
        let url = CraftedFile.safetensors(header: "{}", headerLength: 1000)
        expectError(url, { .headerLengthOutOfRange(path: $0, headerLength: 1000, available: 2, limit: 100_000_000) },
                    mentions: "header length 1000")
        let huge = CraftedFile.safetensors(header: "{}", headerLength: UInt64.max)
        expectError(huge, { .headerLengthOutOfRange(path: $0, headerLength: UInt64.max, available: 2, limit: 100_000_000) },
                    mentions: "header length \(UInt64.max)")
    }

    @Test func headerLengthAboveTheLimitIsRejectedEvenIfTheFileIsThatLong() throws {
        // A sparse file just over 100 MB costs no disk.
        let url = CraftedFile.safetensors(header: "{}", headerLength: 100_000_001)
        defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: 8 + 100_000_001)
        try handle.close()
        expectError(url, { .headerLengthOutOfRange(path: $0, headerLength: 100_000_001, available: 100_000_001, limit: 100_000_000) },
                    mentions: "limit")
    }

    @Test func invalidJSONIsRejected() {
        let url = CraftedFile.safetensors(header: #"{"w": {"dtype": "F32""#)
        let error = CraftedFile.openError(url)
        guard case .invalidHeaderJSON(let path, _) = error else {
            Issue.record("expected invalidHeaderJSON, got \(String(describing: error))")
            return
        }
        #expect(path == url.path)
        #expect(error?.description.contains("not valid JSON") == true)
    }

    @Test(arguments: ["", String(repeating: "[", count: 100_000), #"{"w": {"dtype": "F32"}} trailing"#])
    func emptyDeeplyNestedOrTrailingHeaderIsInvalidJSON(header: String) {
        let error = CraftedFile.openError(CraftedFile.safetensors(header: header))
        guard case .invalidHeaderJSON = error else {
            Issue.record("expected invalidHeaderJSON, got \(String(describing: error))")
            return
        }
    }

    @Test func headerThatIsNotUTF8IsRejected() {
        let url = CraftedFile.write(CraftedFile.littleEndian(UInt64(4)) + [0x7B, 0xFF, 0xFE, 0x7D])
        expectError(url, { .headerNotUTF8(path: $0) }, mentions: "UTF-8")
    }

    @Test func headerThatIsNotAnObjectIsRejected() {
        expectError(CraftedFile.safetensors(header: "[1, 2]"), { .headerNotObject(path: $0) }, mentions: "not a JSON object")
    }

    @Test func metadataMustMapStringsToStrings() {
        expectError(CraftedFile.safetensors(header: #"{"__metadata__": 3}"#),
                    { .invalidMetadata(path: $0, key: nil) }, mentions: "__metadata__")
        expectError(CraftedFile.safetensors(header: #"{"__metadata__": {"format": 1}}"#),
                    { .invalidMetadata(path: $0, key: "format") }, mentions: "\"format\"")
    }

    @Test func entryThatIsNotAnObjectIsRejected() {
        expectError(CraftedFile.safetensors(header: #"{"w": 5}"#), { .entryNotObject(path: $0, tensor: "w") }, mentions: "\"w\"")
    }

    @Test(arguments: ["dtype", "shape", "data_offsets"])
    func missingFieldIsNamed(field: String) {
        var fields = [#""dtype": "F32""#, #""shape": [1]"#, #""data_offsets": [0, 4]"#]
        fields.removeAll { $0.hasPrefix("\"\(field)\"") }
        let url = CraftedFile.safetensors(header: header(#""w": {"# + fields.joined(separator: ", ") + "}"), data: [0, 0, 0, 0])
        expectError(url, { .missingField(path: $0, tensor: "w", field: field) }, mentions: "\"\(field)\"")
    }

    @Test(arguments: [
        (#""dtype": 5, "shape": [1], "data_offsets": [0, 4]"#, "dtype"),
        (#""dtype": "F32", "shape": "1", "data_offsets": [0, 4]"#, "shape"),
        (#""dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]"#, "shape"),
        (#""dtype": "F32", "shape": [true], "data_offsets": [0, 4]"#, "shape"),
        (#""dtype": "F32", "shape": [18446744073709551615], "data_offsets": [0, 4]"#, "shape"),
        (#""dtype": "F32", "shape": [1], "data_offsets": "0-4""#, "data_offsets"),
        (#""dtype": "F32", "shape": [1], "data_offsets": [0]"#, "data_offsets"),
        (#""dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]"#, "data_offsets"),
        (#""dtype": "F32", "shape": [1], "data_offsets": [0, -4]"#, "data_offsets"),
        (#""dtype": "F32", "shape": [1], "data_offsets": [0, 4.0]"#, "data_offsets"),
        (#""dtype": "F32", "shape": [1], "data_offsets": [null, 4]"#, "data_offsets"),
    ])
    func illTypedFieldIsNamed(fields: String, field: String) {
        let url = CraftedFile.safetensors(header: header(#""w": {"# + fields + "}"), data: [0, 0, 0, 0])
        let error = CraftedFile.openError(url)
        guard case .invalidField(let path, let tensor, let named, _) = error else {
            Issue.record("expected invalidField, got \(String(describing: error))")
            return
        }
        #expect(path == url.path && tensor == "w" && named == field)
        #expect(error?.description.contains("\"w\"") == true && error?.description.contains("\"\(field)\"") == true)
    }

    @Test func negativeDimensionIsRejected() {
        let url = CraftedFile.safetensors(header: #"{"w": {"dtype": "F32", "shape": [-1, -4], "data_offsets": [0, 16]}}"#, data: [UInt8](repeating: 0, count: 16))
        expectError(url, { .invalidField(path: $0, tensor: "w", field: "shape", reason: "holds the negative dimension -1") },
                    mentions: "negative")
    }

    @Test func overflowingShapeIsRejected() {
        let big = 1 << 40
        let url = CraftedFile.safetensors(header: #"{"w": {"dtype": "F32", "shape": [\#(big), \#(big)], "data_offsets": [0, 0]}}"#)
        expectError(url, { .invalidField(path: $0, tensor: "w", field: "shape", reason: "has an element count that overflows") },
                    mentions: "overflows")
        // The element count fits in Int but the byte count does not.
        let bytes = CraftedFile.safetensors(header: #"{"w": {"dtype": "F64", "shape": [\#(Int.max / 4)], "data_offsets": [0, 0]}}"#)
        expectError(bytes, { .invalidField(path: $0, tensor: "w", field: "shape", reason: "has a byte count that overflows") },
                    mentions: "overflows")
    }

    @Test func unknownDTypeIsNamed() {
        let url = CraftedFile.safetensors(header: #"{"w": {"dtype": "F12", "shape": [1], "data_offsets": [0, 4]}}"#, data: [0, 0, 0, 0])
        expectError(url, { .unknownDType(path: $0, tensor: "w", dtype: "F12") }, mentions: "\"F12\"")
    }

    @Test func offsetsBeyondTheDataAreRejected() {
        let url = CraftedFile.safetensors(header: #"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}"#, data: [0, 0, 0, 0])
        expectError(url, { .offsetsOutOfRange(path: $0, tensor: "w", end: 8, dataSize: 4) }, mentions: "\"w\"")
        let far = CraftedFile.safetensors(header: #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [9223372036854775800, 9223372036854775804]}}"#)
        expectError(far, { .offsetsOutOfRange(path: $0, tensor: "w", end: 9_223_372_036_854_775_804, dataSize: 0) }, mentions: "\"w\"")
    }

    @Test func beginAfterEndIsRejected() {
        let url = CraftedFile.safetensors(header: #"{"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}"#, data: [0, 0, 0, 0])
        expectError(url, { .invalidOffsets(path: $0, tensor: "w", begin: 4, end: 0) }, mentions: "\"w\"")
    }

    @Test func shapeThatDisagreesWithTheByteCountIsRejected() {
        let url = CraftedFile.safetensors(header: #"{"w": {"dtype": "F16", "shape": [3], "data_offsets": [0, 8]}}"#, data: [UInt8](repeating: 0, count: 8))
        expectError(url, { .byteCountMismatch(path: $0, tensor: "w", shape: [3], dtype: .f16, expected: 6, actual: 8) }, mentions: "\"w\"")
    }

    @Test func overlappingRangesAreRejected() {
        let url = CraftedFile.safetensors(header: header(
            #""a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}"#),
            data: [UInt8](repeating: 0, count: 12))
        expectError(url, { .overlapping(path: $0, tensor: "b", other: "a") }, mentions: "\"a\"")
        // Two tensors sharing the same bytes.
        let aliased = CraftedFile.safetensors(header: header(
            #""a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}"#),
            data: [UInt8](repeating: 0, count: 4))
        expectError(aliased, { .overlapping(path: $0, tensor: "b", other: "a") }, mentions: "\"b\"")
        // An empty tensor placed inside another one.
        let inside = CraftedFile.safetensors(header: header(
            #""a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "e": {"dtype": "F32", "shape": [0], "data_offsets": [4, 4]}"#),
            data: [UInt8](repeating: 0, count: 8))
        expectError(inside, { .overlapping(path: $0, tensor: "e", other: "a") }, mentions: "\"e\"")
    }

    @Test func gapsAndTrailingBytesAreRejected() {
        let between = CraftedFile.safetensors(header: header(
            #""a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}"#),
            data: [UInt8](repeating: 0, count: 12))
        expectError(between, { .uncoveredData(path: $0, after: "a", begin: 4, end: 8) }, mentions: "\"a\"")
        let before = CraftedFile.safetensors(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#,
                                             data: [UInt8](repeating: 0, count: 8))
        expectError(before, { .uncoveredData(path: $0, after: nil, begin: 0, end: 4) }, mentions: "before the first tensor")
        let trailing = CraftedFile.safetensors(header: #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#,
                                               data: [UInt8](repeating: 0, count: 6))
        expectError(trailing, { .uncoveredData(path: $0, after: "a", begin: 4, end: 6) }, mentions: "\"a\"")
        let noTensors = CraftedFile.safetensors(header: "{}", data: [1])
        expectError(noTensors, { .uncoveredData(path: $0, after: nil, begin: 0, end: 1) }, mentions: "0..<1")
    }

    @Test func missingAndNonRegularFilesAreRejected() throws {
        let directory = CraftedFile.directory()
        let missing = directory.appendingPathComponent("absent.safetensors")
        let error = CraftedFile.openError(missing)
        guard case .cannotOpen(let path, _) = error else {
            Issue.record("expected cannotOpen, got \(String(describing: error))")
            return
        }
        #expect(path == missing.path)
        #expect(CraftedFile.openError(directory) == .notARegularFile(path: directory.path))
    }

    @Test func readingErrorsNameTheTensor() throws {
        let url = CraftedFile.safetensors(header: header(
            #""mask": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]}, "w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}"#),
            data: [1, 0, 1, 1] + CraftedFile.bytes([2.5]))
        let file = try SafeTensorsFile(url: url)
        #expect(throws: E.notConvertibleToFloat(path: url.path, tensor: "mask", dtype: .u8)) { try file.tensor("mask") }
        #expect(throws: E.notConvertibleToFloat(path: url.path, tensor: "mask", dtype: .u8)) { try file.floats("mask") }
        #expect(throws: E.tensorNotFound(path: url.path, tensor: "v")) { try file.floats("v") }
        var two: [Float] = [0, 0]
        #expect(throws: E.destinationSizeMismatch(path: url.path, tensor: "w", elements: 1, destination: 2)) {
            try two.withUnsafeMutableBufferPointer { try file.read("w", into: $0) }
        }
        // The raw bytes of the U8 tensor are still reachable.
        #expect(try file.withUnsafeBytes("mask") { Array($0) } == [1, 0, 1, 1])
        #expect(E.tensorNotFound(path: url.path, tensor: "v").description.contains("\"v\""))
    }
}
