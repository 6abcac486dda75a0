// Vectorised exp, erf and GELU on 16 floats (AVX-512), shared by the C kernels (attention_head.c,
// gelu.c, packed_linear.c).
// Only for x86-64 translation units that include <immintrin.h>; callers dispatch on
// embedtune_cpu_features() before calling into code that uses these.
#ifndef EMBEDTUNE_SIMD_MATH_H
#define EMBEDTUNE_SIMD_MATH_H

#include "erf_coefficients.h"

#define EMBEDTUNE_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

// e^x for x <= 0 (softmax after subtracting the row maximum; e^(-x^2) in erf): x = n ln2 + r,
// |r| <= ln2 / 2, e^r by its Taylor polynomial to degree 7 (relative error < 1e-8), times 2^n by
// vscalefps.
EMBEDTUNE_AVX512_TARGET static inline __m512 exp_nonpositive(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-104.0f));
    const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                          _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.0f / 5040.0f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 720.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

// erf(x) by the two fits of erf_coefficients.h (the same as Kernels' FastMath.erf), both evaluated
// and blended on |x| >= 1. 1/|x| is vrcp14ps refined by one Newton step (relative error ~2^-28).
// NaN stays NaN (the clamps keep it: vminps/vmaxps return their second operand when one is NaN).
EMBEDTUNE_AVX512_TARGET static inline __m512 erf_avx512(__m512 x) {
    const __m512 bound = _mm512_set1_ps(EMBEDTUNE_ERF_BOUND), one = _mm512_set1_ps(1.0f);
    const __m512 a = _mm512_min_ps(bound, _mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), bound), x));
    const __m512 ax = _mm512_abs_ps(a);
    const __m512 t = _mm512_mul_ps(a, a);
    // |x| < 1: x P(x^2)
    __m512 p = _mm512_set1_ps(EMBEDTUNE_ERF_SMALL_5);
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(EMBEDTUNE_ERF_SMALL_4));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(EMBEDTUNE_ERF_SMALL_3));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(EMBEDTUNE_ERF_SMALL_2));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(EMBEDTUNE_ERF_SMALL_1));
    p = _mm512_fmadd_ps(p, t, _mm512_set1_ps(EMBEDTUNE_ERF_SMALL_0));
    const __m512 small = _mm512_mul_ps(a, p);
    // |x| >= 1: 1 - e^(-x^2) R(1/|x|), sign restored
    const __m512 d = _mm512_max_ps(ax, one);
    __m512 u = _mm512_rcp14_ps(d);
    u = _mm512_mul_ps(u, _mm512_fnmadd_ps(d, u, _mm512_set1_ps(2.0f)));
    __m512 q = _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_7);
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_6));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_5));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_4));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_3));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_2));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_1));
    q = _mm512_fmadd_ps(q, u, _mm512_set1_ps(EMBEDTUNE_ERF_LARGE_0));
    const __m512 large = _mm512_fnmadd_ps(exp_nonpositive(_mm512_sub_ps(_mm512_setzero_ps(), t)), q, one);
    const __mmask16 negative = _mm512_cmp_ps_mask(a, _mm512_setzero_ps(), _CMP_LT_OQ);
    const __m512 signedLarge = _mm512_mask_sub_ps(large, negative, _mm512_setzero_ps(), large);
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(ax, one, _CMP_GE_OQ), small, signedLarge);
}

// The exact GELU 0.5 x (1 + erf(x / sqrt 2)) = h + h erf(x / sqrt 2), h = x / 2.
EMBEDTUNE_AVX512_TARGET static inline __m512 gelu_avx512(__m512 x) {
    const __m512 h = _mm512_mul_ps(x, _mm512_set1_ps(0.5f));
    return _mm512_fmadd_ps(h, erf_avx512(_mm512_mul_ps(x, _mm512_set1_ps(0.70710678118654752f))), h);
}

#endif
