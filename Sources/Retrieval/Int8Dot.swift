// The AVX2 path needs the target features that Package.swift turns on for release builds on Linux
// (`-march=x86-64-v3`); without them the intrinsics do not compile, so every other build takes the
// portable path. Both compute the same exact integer sum.
#if os(Linux) && arch(x86_64) && !DEBUG && canImport(_Builtin_intrinsics.intel)
import _Builtin_intrinsics.intel
#endif

/// Exact integer dot product of int8 codes with an int16 query — the inner loop of the int8 scan.
///
/// The int16 query is `round(query * scales * factor)` (see `Int8Query`), so that
/// `dot / factor ≈ sum_d query[d] * scale[d] * code[d]`. Integer sums are exact, hence independent
/// of the order of accumulation: the AVX2 path (`vpmovsxbw` + `vpmaddwd`, 16 codes per step) and
/// the portable path give the same value.
enum Int8Dot {
    /// sum_d q16[d] * codes[d] over `stride` values (a multiple of 16). `q16` (stride) Int16,
    /// `codes` (stride) Int8. The caller bounds |q16| so the sum cannot overflow Int32.
    @inline(__always)
    static func dot(_ q16: UnsafeRawPointer, _ codes: UnsafeRawPointer, _ stride: Int) -> Int32 {
        #if os(Linux) && arch(x86_64) && !DEBUG && canImport(_Builtin_intrinsics.intel)
        var a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256()
        var a2 = _mm256_setzero_si256(), a3 = _mm256_setzero_si256()
        var off = 0
        @inline(__always) func step(_ o: Int) -> __m256i {
            _mm256_madd_epi16(
                _mm256_cvtepi8_epi16(codes.loadUnaligned(fromByteOffset: o, as: SIMD2<Int64>.self)),
                q16.loadUnaligned(fromByteOffset: 2 * o, as: SIMD4<Int64>.self))
        }
        while off + 64 <= stride {
            a0 = _mm256_add_epi32(a0, step(off))
            a1 = _mm256_add_epi32(a1, step(off + 16))
            a2 = _mm256_add_epi32(a2, step(off + 32))
            a3 = _mm256_add_epi32(a3, step(off + 48))
            off += 64
        }
        while off < stride {
            a0 = _mm256_add_epi32(a0, step(off))
            off += 16
        }
        let sum = _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3))
        return unsafeBitCast(sum, to: SIMD8<Int32>.self).wrappedSum()
        #else
        var acc = SIMD16<Int32>()
        var off = 0
        while off < stride {
            let c = codes.loadUnaligned(fromByteOffset: off, as: SIMD16<Int8>.self)
            let q = q16.loadUnaligned(fromByteOffset: 2 * off, as: SIMD16<Int16>.self)
            var p = SIMD16<Int32>()
            for i in 0..<16 { p[i] = Int32(c[i]) &* Int32(q[i]) }
            acc &+= p
            off += 16
        }
        return acc.wrappedSum()
        #endif
    }
}

/// A float query prepared for `Int8Dot`: (stride) Int16 values `round(query[d] * scales[d] * factor)`,
/// aligned, padding zero.
struct Int8Query {
    let values: UnsafeMutablePointer<Int16>
    /// Approximate score = Float(dot) / factor.
    let factor: Float

    init(query: UnsafePointer<Float>, scales: [Float], stride: Int) {
        values = UnsafeMutableRawPointer.allocate(byteCount: stride * 2, alignment: 64)
            .bindMemory(to: Int16.self, capacity: stride)
        values.initialize(repeating: 0, count: stride)
        var largest: Float = 0
        for d in 0..<scales.count { largest = Swift.max(largest, abs(query[d] * scales[d])) }
        // |sum| <= 127 * stride * bound must stay below Int32.max.
        let bound = Float(Swift.min(32767, Int(Int32.max) / (127 * Swift.max(stride, 1))))
        factor = largest > 0 && largest.isFinite ? bound / largest : 1
        for d in 0..<scales.count {
            let v = (query[d] * scales[d] * factor).rounded(.toNearestOrEven)
            values[d] = v.isFinite ? Int16(Swift.max(-bound, Swift.min(bound, v))) : 0
        }
    }

    func deallocate() { values.deallocate() }
}
