import Foundation
import Testing
@testable import Encoder
import Tensor

/// Files exchanged with Python. scripts/reference/check_safetensors_roundtrip.py sets EMBEDTUNE_INTEROP_DIR,
/// puts there a `python.safetensors` written by `safetensors.torch` (F32, F16, BF16, I64) with one
/// `expected_<name>.npy` per tensor, runs this suite, then loads what it wrote with
/// `safetensors.numpy.load_file` and `numpy.load`. Without the variable the suite writes to a temporary
/// directory and checks its own round trip.
@Suite struct SafeTensorsInteropTests {
    static let directory: URL = {
        if let path = ProcessInfo.processInfo.environment["EMBEDTUNE_INTEROP_DIR"] { return URL(fileURLWithPath: path) }
        return CraftedFile.directory()
    }()

    /// The values the Python script expects; keep the formulas in step with it.
    static let weight: [Float] = (0..<12).map { Float($0) * 0.25 - 1 }  // (3, 4)
    static let bias: [Float] = [-0.0, .infinity, .leastNonzeroMagnitude, 1.0 / 3.0]  // (4)
    static let embeddings: [Float] = (0..<15).map { Float($0) * 0.1 }  // (5, 3)

    @Test func writesFilesForPython() throws {
        let url = Self.directory.appendingPathComponent("swift.safetensors")
        try SafeTensorsWriter.write(
            ["layer.weight": Tensor(shape: [3, 4], values: Self.weight), "layer.bias": Tensor(shape: [4], values: Self.bias)],
            metadata: ["format": "pt"], to: url)
        let file = try SafeTensorsFile(url: url)
        #expect(try file.floats("layer.bias").map(\.bitPattern) == Self.bias.map(\.bitPattern))

        let npy = Self.directory.appendingPathComponent("swift.npy")
        let writer = try NPYStreamWriter(url: npy, cols: 3, rows: 5)
        try Self.embeddings.withUnsafeBufferPointer { all in
            for row in 0..<5 { try writer.append(UnsafeBufferPointer(rebasing: all[(3 * row)..<(3 * row + 3)])) }
        }
        try writer.finish()
        #expect(try NPYReader.read(npy).values == Self.embeddings)
    }

    @Test func readsFilesFromPython() throws {
        let url = Self.directory.appendingPathComponent("python.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else { return }  // only under the Python script
        let file = try SafeTensorsFile(url: url)
        #expect(Set(file.names.compactMap { file.info($0)?.dtype }) == [.f32, .f16, .bf16, .i64])
        for name in file.names {
            let expected = try NPYReader.read(Self.directory.appendingPathComponent("expected_\(name).npy"))
            let tensor = try file.tensor(name)
            #expect(tensor.shape == expected.shape, "\(name)")
            #expect(tensor.array.map(\.bitPattern) == expected.values.map(\.bitPattern), "\(name)")
        }
    }
}
