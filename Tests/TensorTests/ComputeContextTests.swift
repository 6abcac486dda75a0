import Foundation
import Testing
@testable import Tensor

/// A product's threads come from the context it is given, and a product split over threads equals
/// the unsplit one.
struct ComputeContextTests {
    @Test func aContextHasAtLeastOneThread() {
        #expect(ComputeContext(threads: 0).threads == 1)
        #expect(ComputeContext(threads: -3).threads == 1)
        #expect(ComputeContext(threads: 3).threads == 3)
        #expect(ComputeContext.serial.threads == 1)
    }

    /// Every transpose combination, shapes wide and tall, split into 2 and 3 parts: equal to one
    /// thread up to float rounding (OpenBLAS picks its kernels by block shape), and concurrent
    /// products on two threads with different counts give exactly what each gives alone.
    @Test(arguments: [(300, 200, 64), (40, 900, 48), (513, 17, 129)])
    func splitProductsEqualTheUnsplitOne(m: Int, n: Int, k: Int) {
        var rng = SplitMix64(seed: UInt64(m * n))
        let a = (0..<(m * k)).map { _ in rng.nextUniform() - 0.5 }, b = (0..<(k * n)).map { _ in rng.nextUniform() - 0.5 }
        for (ta, tb) in [(Transpose.none, Transpose.none), (.transposed, .none), (.none, .transposed), (.transposed, .transposed)] {
            func run(_ threads: Int) -> [Float] {
                var c = [Float](repeating: 0.25, count: m * n)
                gemm(ta, tb, m: m, n: n, k: k, alpha: 0.5, a: a, b: b, beta: 2, c: &c,
                     context: ComputeContext(threads: threads))
                return c
            }
            let one = run(1)
            #expect(m * n * k >= splitWork, "the shape must be large enough to split")
            let two = run(2), three = run(3)
            for split in [two, three] {
                let worst = zip(split, one).map { abs($0 - $1) / Swift.max(1, abs($1)) }.max() ?? .nan
                #expect(worst <= 1e-5, "\(ta) \(tb): \(worst)")
            }
            nonisolated(unsafe) var results: [[Float]] = [[], []]
            nonisolated(unsafe) let run = run
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                var last: [Float] = []
                for _ in 0..<5 { last = run(i + 1) }
                results[i] = last
            }
            #expect(results[0] == one && results[1] == two, "concurrent \(ta) \(tb)")
        }
    }
}

/// Which OpenBLAS kernels the CLI asks for: only in place of a generic set, and by the features allowed.
struct OpenBLASCoreTests {
    @Test func onlyAGenericChoiceIsReplaced() {
        let avx2: Int32 = 1, avx512: Int32 = 3
        #expect(OpenBLASCore.better(than: "Prescott", features: avx512) == "SkylakeX")
        #expect(OpenBLASCore.better(than: "Prescott", features: avx2) == "Haswell")
        #expect(OpenBLASCore.better(than: "Sandybridge", features: avx2) == "Haswell")
        #expect(OpenBLASCore.better(than: "Prescott", features: 0) == nil)
        #expect(OpenBLASCore.better(than: "SkylakeX", features: avx512) == nil)
        #expect(OpenBLASCore.better(than: "Zen", features: avx512) == nil)
        #expect(OpenBLASCore.better(than: "Haswell", features: avx512) == nil)
    }
}
