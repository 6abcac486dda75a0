import CSIMD
@testable import Store
import Tensor
import Testing
@testable import Retrieval

@Suite struct NibbleDotTests {
    /// Every path this CPU offers (AVX-512 VNNI, AVX2, portable) gives the exact integer sum of the
    /// query with the codes in dimension order, for strides with a fixed-register kernel (64 * n up
    /// to 384) and beyond (448, 512), including the extreme codes -8 and 7 against a query of ±127.
    @Test(arguments: [64, 128, 192, 256, 320, 384, 448, 512])
    func everyPathEqualsTheIntegerSumInDimensionOrder(stride: Int) {
        var rng = SplitMix64(seed: UInt64(stride) &+ 99)
        let rows = 37, dims = 2 * stride
        var codes = (0..<(rows * dims)).map { _ in Int8(Int(rng.next() % 16) - 8) }
        for d in 0..<dims { codes[d] = 7; codes[dims + d] = -8 }  // rows 0 and 1: the extremes
        var packed = [UInt8](repeating: 0, count: rows * stride)
        for r in 0..<rows {
            codes.withUnsafeBufferPointer { c in
                packed.withUnsafeMutableBufferPointer { p in
                    embedtune_nibble_pack(c.baseAddress! + r * dims, stride, p.baseAddress! + r * stride)
                }
            }
        }
        let random = (0..<dims).map { _ in Int8(Int(rng.next() % 255) - 127) }
        let extreme = (0..<dims).map { d in Int8(d % 5 == 2 ? -127 : 127) }
        for query in [random, extreme] {
            let want = (0..<rows).map { r in (0..<dims).reduce(0) { $0 + Int(codes[r * dims + $1]) * Int(query[$1]) } }
            let available = embedtune_nibble_available_paths()
            #expect(available & Int32(EMBEDTUNE_NIBBLE_PORTABLE) != 0)
            for path in [EMBEDTUNE_NIBBLE_PORTABLE, EMBEDTUNE_NIBBLE_AVX2, EMBEDTUNE_NIBBLE_AVX512_VNNI].map({ Int32($0) })
            where available & path != 0 {
                var got = [Int32](repeating: 0, count: rows)
                embedtune_nibble_dots_with(path, query, packed, stride, rows, &got)
                #expect(got.map(Int.init) == want, "path \(path), stride \(stride)")
            }
        }
    }

    /// Release builds target x86-64-v3, so the dispatch must take a vector path there.
    @Test func dispatchPicksAVectorPathOnX86() {
        #if arch(x86_64)
        #expect(embedtune_nibble_best_path() != Int32(EMBEDTUNE_NIBBLE_PORTABLE))
        #endif
    }
}
