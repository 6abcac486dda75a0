import Foundation
import Testing
@testable import Encoder

@Suite struct NPYWriterTests {
    func preamble(_ url: URL) throws -> (header: String, dataStart: Int, bytes: [UInt8]) {
        let bytes = try [UInt8](Data(contentsOf: url))
        let length = Int(bytes[8]) | Int(bytes[9]) << 8
        let header = String(decoding: bytes[10..<(10 + length)], as: UTF8.self)
        return (header, 10 + length, bytes)
    }

    @Test func writesVersion1HeaderPaddedTo64() throws {
        let values: [Float] = (0..<12).map { Float($0) - 5.5 }
        let url = CraftedFile.directory().appendingPathComponent("e.npy")
        try values.withUnsafeBufferPointer { try NPYWriter.write(rows: 3, cols: 4, values: $0, to: url) }
        let (header, dataStart, bytes) = try preamble(url)
        #expect(Array(bytes[0..<8]) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0])
        #expect(dataStart % 64 == 0)
        #expect(header.hasPrefix("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }"))
        #expect(header.hasSuffix(" \n") || header.hasSuffix("}\n"))
        #expect(bytes.count == dataStart + 48)
        let read = try NPYReader.read(url)
        #expect(read.shape == [3, 4] && read.values == values)
    }

    @Test func streamingWriterPatchesTheRowCount() throws {
        let url = CraftedFile.directory().appendingPathComponent("s.npy")
        let writer = try NPYStreamWriter(url: url, cols: 3)
        #expect(!FileManager.default.fileExists(atPath: url.path), "nothing visible before finish")
        var all: [Float] = []
        for block in 0..<4 {
            let rows = (0..<(3 * (block + 1))).map { Float(block * 100 + $0) }
            try rows.withUnsafeBufferPointer { try writer.append($0) }
            all += rows
        }
        try writer.finish()
        #expect(writer.rowsWritten == 10)
        let (header, dataStart, _) = try preamble(url)
        #expect(header.contains("'shape': (10, 3)") && dataStart % 64 == 0 && header.hasSuffix("\n"))
        let read = try NPYReader.read(url)
        #expect(read.shape == [10, 3] && read.values == all)
    }

    @Test func streamingWriterChecksAnnouncedRows() throws {
        let url = CraftedFile.directory().appendingPathComponent("r.npy")
        let writer = try NPYStreamWriter(url: url, cols: 2, rows: 2)
        let row: [Float] = [1, 2]
        try row.withUnsafeBufferPointer { try writer.append($0) }
        #expect(throws: NPYError.rowCountMismatch(path: url.path, expected: 2, written: 1)) { try writer.finish() }
        let odd: [Float] = [1, 2, 3]
        #expect(throws: NPYError.valueCountMismatch(path: url.path, rows: 1, cols: 2, values: 3)) {
            try odd.withUnsafeBufferPointer { try writer.append($0) }
        }
        try row.withUnsafeBufferPointer { try writer.append($0) }
        try writer.finish()
        #expect(try NPYReader.read(url).values == [1, 2, 1, 2])
    }

    @Test func abandonedStreamLeavesNothing() throws {
        let directory = CraftedFile.directory()
        do {
            let writer = try NPYStreamWriter(url: directory.appendingPathComponent("x.npy"), cols: 4)
            let row: [Float] = [1, 2, 3, 4]
            try row.withUnsafeBufferPointer { try writer.append($0) }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func mismatchedValueCountIsRejected() {
        let url = CraftedFile.directory().appendingPathComponent("m.npy")
        let values: [Float] = [1, 2, 3]
        #expect(throws: NPYError.valueCountMismatch(path: url.path, rows: 2, cols: 2, values: 3)) {
            try values.withUnsafeBufferPointer { try NPYWriter.write(rows: 2, cols: 2, values: $0, to: url) }
        }
    }

    func npy(_ dictionary: String, data: [UInt8], version: UInt8 = 1) -> URL {
        var header = Array(dictionary.utf8) + [UInt8(ascii: "\n")]
        let length = header.count
        header = [0x93] + Array("NUMPY".utf8) + [version, 0] + (version == 1
            ? [UInt8(length & 0xFF), UInt8(length >> 8)]
            : [UInt8(length & 0xFF), UInt8(length >> 8), 0, 0]) + header
        return CraftedFile.write(header + data, name: "f.npy")
    }

    @Test func readerAcceptsVersion2AndOtherShapes() throws {
        let url = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data: CraftedFile.bytes([1.5, -2]), version: 2)
        let read = try NPYReader.read(url)
        #expect(read.shape == [2] && read.values == [1.5, -2])
        let scalar = try NPYReader.read(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (), }", data: CraftedFile.bytes([7])))
        #expect(scalar.shape == [] && scalar.values == [7])
    }

    @Test func readerNamesTheFieldAtFault() {
        let cases: [(URL, String)] = [
            (CraftedFile.write(Array("not numpy at all".utf8), name: "f.npy"), "magic"),
            (npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8)), "descr"),
            (npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", data: [0, 0, 0, 0]), "fortran_order"),
            (npy("{'descr': '<f4', 'fortran_order': False, 'shape': (x,), }", data: [0, 0, 0, 0]), "shape"),
            (npy("{'descr': '<f4', 'fortran_order': False, }", data: [0, 0, 0, 0]), "shape"),
        ]
        for (url, field) in cases {
            do {
                _ = try NPYReader.read(url)
                Issue.record("read a bad file expecting an error on \(field)")
            } catch let error as NPYError {
                guard case .invalidHeader(_, let named, _) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(named == field && error.description.contains("\"\(field)\""))
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
        let short = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data: [0, 0, 0, 0])
        #expect(throws: NPYError.dataSizeMismatch(path: short.path, shape: [2, 2], expectedBytes: 16, actualBytes: 4)) {
            try NPYReader.read(short)
        }
    }
}
