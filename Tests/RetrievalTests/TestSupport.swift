import Foundation
@testable import Store
import Tensor
@testable import Retrieval

/// A fresh directory under the system temp dir, removed by `cleanup()`.
struct TempDirectory {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("retrieval-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
    func cleanup() { try? FileManager.default.removeItem(at: url) }
}

func modelInfo(fingerprint: String = "fp-A", dimension: Int = 8, normalize: Bool = true) -> StoreModelInfo {
    StoreModelInfo(fingerprint: fingerprint, modelPath: "/models/m", adapterPath: nil, dimension: dimension,
                   maxLength: 256, pooling: "mean", normalize: normalize)
}

/// `count` vectors of `dimension` uniform values in [-1, 1) from a seeded generator.
func randomVectors(_ count: Int, _ dimension: Int, seed: UInt64, normalized: Bool = false) -> [[Float]] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        var v = (0..<dimension).map { _ in rng.nextUniform() * 2 - 1 }
        if normalized {
            let n = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            v = v.map { $0 / n }
        }
        return v
    }
}
