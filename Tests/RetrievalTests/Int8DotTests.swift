import CSIMD
@testable import Store
import Tensor
import Testing
@testable import Retrieval

@Suite struct Int8DotTests {
    /// Every path this CPU offers (AVX-512 VNNI, AVX2, portable) gives the exact integer sum, for
    /// strides with a fixed-register kernel (64 * n up to 768), with a masked tail (400) and beyond
    /// (1024), including sums near the int32 limits.
    @Test(arguments: [16, 48, 64, 384, 400, 768, 1024])
    func everyPathEqualsTheIntegerSum(stride: Int) {
        var rng = SplitMix64(seed: UInt64(stride))
        let rows = 37
        var codes = (0..<(rows * stride)).map { _ in Int8(truncatingIfNeeded: Int(rng.next() % 255) - 127) }
        // Row 0: the largest code everywhere; one random query and one at the bound (row 0 then
        // sums to 127 * stride * bound, the largest the caller allows).
        let bound = Swift.min(32767, Int(Int32.max) / (127 * stride))
        for d in 0..<stride { codes[d] = 127 }
        let random = (0..<stride).map { _ in Int16(Int(rng.next() % UInt64(2 * bound + 1)) - bound) }
        let extreme = (0..<stride).map { d in Int16(d % 7 == 3 ? -bound : bound) }
        for query in [random, extreme] {
            let want = (0..<rows).map { r in (0..<stride).reduce(0) { $0 + Int(codes[r * stride + $1]) * Int(query[$1]) } }
            var high = [UInt8](repeating: 0, count: stride), low = [UInt8](repeating: 0, count: stride)
            embedtune_int8_prepare(query, stride, &high, &low)
            let available = embedtune_int8_available_paths()
            #expect(available & Int32(EMBEDTUNE_INT8_PORTABLE) != 0)
            for path in [EMBEDTUNE_INT8_PORTABLE, EMBEDTUNE_INT8_AVX2, EMBEDTUNE_INT8_AVX512_VNNI].map({ Int32($0) })
            where available & path != 0 {
                var got = [Int32](repeating: 0, count: rows)
                embedtune_int8_dots_with(path, query, high, low, codes, stride, rows, &got)
                #expect(got.map(Int.init) == want, "path \(path), stride \(stride)")
            }
        }
    }

    /// The machine these tests run on has AVX2 at least (release builds target x86-64-v3), so the
    /// dispatch must not fall back to the portable loop there.
    @Test func dispatchPicksAVectorPathOnX86() {
        #if arch(x86_64)
        #expect(embedtune_int8_best_path() != Int32(EMBEDTUNE_INT8_PORTABLE))
        #endif
    }

    @Test func queryFactorKeepsTheSumInInt32Range() {
        let scales = [Float](repeating: 1, count: 1024)
        let query = [Float](repeating: -3, count: 1024)
        let q = query.withUnsafeBufferPointer { Int8Query(query: $0.baseAddress!, scales: scales, stride: 1024) }
        defer { q.deallocate() }
        #expect(127 * 1024 * Int(abs(q.values[0])) <= Int(Int32.max))
        #expect(abs(Float(q.values[5]) / q.factor - -3) < 1e-3)
    }
}
