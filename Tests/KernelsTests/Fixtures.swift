import Foundation
import Tensor

/// The reference values written by scripts/reference/kernel_fixtures.py: Fixtures/kernels.json
/// indexes cases (sizes, and per tensor its shape and float offset) into Fixtures/kernels.bin.
struct KernelFixtures {
    struct Case {
        let name: String
        let sizes: [String: Any]
        let tensors: [String: (shape: [Int], offset: Int)]
        let storage: [Float]

        func tensor(_ key: String) -> Tensor {
            guard let entry = tensors[key] else { fatalError("fixture case \(name) has no tensor \(key)") }
            let count = entry.shape.reduce(1, *)
            return Tensor(shape: entry.shape, values: Array(storage[entry.offset..<(entry.offset + count)]))
        }

        func int(_ key: String) -> Int { (sizes[key] as? NSNumber)?.intValue ?? { fatalError("\(name): no size \(key)") }() }
        func float(_ key: String) -> Float { (sizes[key] as? NSNumber)?.floatValue ?? { fatalError("\(name): no size \(key)") }() }
        func ints(_ key: String) -> [Int] { (sizes[key] as? [NSNumber])?.map(\.intValue) ?? { fatalError("\(name): no sizes \(key)") }() }
    }

    let cases: [String: Case]

    // Immutable once loaded; read from parallel tests.
    nonisolated(unsafe) static let shared = KernelFixtures()

    init() {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        let index = try! JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("kernels.json")))
        let bytes = try! Data(contentsOf: directory.appendingPathComponent("kernels.bin"))
        let storage = bytes.withUnsafeBytes { raw in
            (0..<(bytes.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
        let rawCases = (index as! [String: Any])["cases"] as! [String: [String: Any]]
        var cases = [String: Case]()
        for (name, body) in rawCases {
            var tensors = [String: (shape: [Int], offset: Int)]()
            for (key, value) in body["tensors"] as! [String: [String: Any]] {
                tensors[key] = ((value["shape"] as! [NSNumber]).map(\.intValue), (value["offset"] as! NSNumber).intValue)
            }
            cases[name] = Case(name: name, sizes: body["sizes"] as! [String: Any], tensors: tensors, storage: storage)
        }
        self.cases = cases
    }

    subscript(name: String) -> Case {
        guard let c = cases[name] else { fatalError("no fixture case \(name); rerun scripts/reference/kernel_fixtures.py") }
        return c
    }
}
