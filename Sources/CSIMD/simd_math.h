// The GELU on 16 floats with AVX-512 intrinsics (and on 8 with AVX2, below), for the packed products' stores (packed_linear.c,
// bf16_linear.c, int8_linear.c) and gelu.c: vector16_math.h's v16_gelu_avx512, the project's one GELU
// with its five coefficient lookups done by vpermt2ps, spelled in __m512 for AVX-512 functions (which
// cannot call the untargeted vector helpers with vector arguments). The operations and their order
// are the same, so the results are the same bits (tested).
// Only for x86-64 translation units that include <immintrin.h>; callers dispatch on
// embedtune_cpu_features() before calling into code that uses these.
#ifndef EMBEDTUNE_SIMD_MATH_H
#define EMBEDTUNE_SIMD_MATH_H

#include "gelu_table.h"

#define EMBEDTUNE_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

// x Φ(x) as v16_gelu computes it: with Q(a) = Φ(-a) from the piecewise table of
// gelu_table.h (five vpermt2ps lookups by interval, then Horner in the position u within it),
// Φ(x) = Q(|x|) for x < 0 and 1 - Q(|x|) otherwise; Q = 0 from |x| >= 6 on (Q(6) < 1e-9).
// 18 vector operations. NaN stays NaN; gelu(+inf) = +inf, gelu(-inf) = NaN (-inf * 0, as in PyTorch).
EMBEDTUNE_AVX512_TARGET static inline __m512 gelu_avx512(__m512 x) {
    const __m512 s = _mm512_mul_ps(_mm512_abs_ps(x),
                                   _mm512_set1_ps((float)EMBEDTUNE_GELU_INTERVALS / EMBEDTUNE_GELU_RANGE));
    const __mmask16 inside = _mm512_cmp_ps_mask(s, _mm512_set1_ps((float)EMBEDTUNE_GELU_INTERVALS), _CMP_LT_OQ);
    const __m512 f = _mm512_roundscale_ps(s, _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    const __m512 u = _mm512_sub_ps(s, f);
    const __m512i i = _mm512_cvttps_epi32(f);  // only its low 5 bits select; lanes outside are zeroed
#define EMBEDTUNE_GELU_C(j) \
    _mm512_permutex2var_ps(_mm512_load_ps(embedtune_gelu_tail[j]), i, _mm512_load_ps(embedtune_gelu_tail[j] + 16))
    __m512 q = EMBEDTUNE_GELU_C(4);
    q = _mm512_fmadd_ps(q, u, EMBEDTUNE_GELU_C(3));
    q = _mm512_fmadd_ps(q, u, EMBEDTUNE_GELU_C(2));
    q = _mm512_fmadd_ps(q, u, EMBEDTUNE_GELU_C(1));
    q = _mm512_maskz_fmadd_ps(inside, q, u, EMBEDTUNE_GELU_C(0));
#undef EMBEDTUNE_GELU_C
    const __mmask16 nonnegative = _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ);
    return _mm512_mul_ps(x, _mm512_mask_sub_ps(q, nonnegative, _mm512_set1_ps(1.0f), q));
}

// The same GELU on 8 floats with AVX2 + FMA, for the packed product's AVX2 kernel: the coefficients
// come by gathers (the same table entries, so the same values), then the same operations in the same
// order as gelu_avx512 and v16_gelu, so the same bits (tested).
#define EMBEDTUNE_AVX2_TARGET __attribute__((target("avx2,fma")))

EMBEDTUNE_AVX2_TARGET static inline __m256 gelu_avx2(__m256 x) {
    const __m256 s = _mm256_mul_ps(_mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7FFFFFFF))),
                                   _mm256_set1_ps((float)EMBEDTUNE_GELU_INTERVALS / EMBEDTUNE_GELU_RANGE));
    const __m256 inside = _mm256_cmp_ps(s, _mm256_set1_ps((float)EMBEDTUNE_GELU_INTERVALS), _CMP_LT_OQ);
    const __m256 f = _mm256_floor_ps(s);
    const __m256 u = _mm256_sub_ps(s, f);
    const __m256i i = _mm256_cvttps_epi32(_mm256_and_ps(f, inside));  // lanes outside: interval 0
#define EMBEDTUNE_GELU_C8(j) _mm256_i32gather_ps(embedtune_gelu_tail[j], i, 4)
    __m256 q = EMBEDTUNE_GELU_C8(4);
    q = _mm256_fmadd_ps(q, u, EMBEDTUNE_GELU_C8(3));
    q = _mm256_fmadd_ps(q, u, EMBEDTUNE_GELU_C8(2));
    q = _mm256_fmadd_ps(q, u, EMBEDTUNE_GELU_C8(1));
    q = _mm256_and_ps(_mm256_fmadd_ps(q, u, EMBEDTUNE_GELU_C8(0)), inside);
#undef EMBEDTUNE_GELU_C8
    const __m256 nonnegative = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
    return _mm256_mul_ps(x, _mm256_blendv_ps(q, _mm256_sub_ps(_mm256_set1_ps(1.0f), q), nonnegative));
}

// The AVX2 packed products' store of 8 outputs (packed_linear.c, bf16_linear_avx2.c, int8_linear.c):
// GELU first when `gelu`, then a plain store when all 8 columns exist (`full`), else a store of the
// lanes in `mask` only (masked stores cost about a dozen cycles on AMD Zen, so only a last panel's).
EMBEDTUNE_AVX2_TARGET static inline __attribute__((always_inline)) void store_outputs_avx2(float *c, __m256 y, int gelu,
                                                                                          int full, __m256i mask) {
    if (gelu) y = gelu_avx2(y);
    if (full)
        _mm256_storeu_ps(c, y);
    else
        _mm256_maskstore_ps(c, mask, y);
}

#endif
