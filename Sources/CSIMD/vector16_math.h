// exp, the normal CDF and GELU on 16-lane vectors (vector16.h), shared by the vector kernels and the
// AVX-512 attention kernel: one implementation of each function in the project.
#ifndef EMBEDTUNE_VECTOR16_MATH_H
#define EMBEDTUNE_VECTOR16_MATH_H

#include "gelu_table.h"
#include "vector16.h"

/// e^x lane by lane: k = round(x / ln 2) by the shifter trick, r = x - k ln 2 (Cody–Waite), e^r by
/// its Taylor series to r^7, times 2^k built in the exponent bits. Below -87.33 gives 0 (e^-87.33
/// is the smallest normal float); the input is clamped above at 88.3.
V16 v16f v16_exp(v16f x) {
#pragma clang fp contract(off)
    const float log2e = 1.4426950408889634f, ln2_hi = 0.693145751953125f, ln2_lo = 1.4286067653301870e-6f;
    const float shifter = 12583039.0f;  // 1.5 * 2^23 + 127
    const v16f lo = v16_splat(-87.33f), hi = v16_splat(88.3f);
    v16f xc = v16_select(x < lo, lo, x);
    xc = v16_select(xc > hi, hi, xc);
    const v16f shifted = v16_fma(xc, v16_splat(log2e), v16_splat(shifter));
    const v16f k = shifted - v16_splat(shifter);
    v16f r = v16_fma(k, v16_splat(-ln2_hi), xc);
    r = v16_fma(k, v16_splat(-ln2_lo), r);
    v16f p = v16_splat(1.0f / 5040);
    p = v16_fma(p, r, v16_splat(1.0f / 720));
    p = v16_fma(p, r, v16_splat(1.0f / 120));
    p = v16_fma(p, r, v16_splat(1.0f / 24));
    p = v16_fma(p, r, v16_splat(1.0f / 6));
    p = v16_fma(p, r, v16_splat(0.5f));
    p = v16_fma(p, r, v16_splat(1));
    p = v16_fma(p, r, v16_splat(1));
    typedef unsigned v16u __attribute__((vector_size(64)));
    const v16u scale_bits = (v16u)shifted << 23;
    const v16f result = p * (v16f)scale_bits;
    return v16_select(x < lo, v16_splat(0), result);
}

/// Row j of gelu_table.h's coefficients at each lane's interval (0..31), by indexed loads: any target.
V16 v16f v16_gelu_coefficient(int j, v16i interval) {
    v16f c;
    for (int lane = 0; lane < 16; lane++) c[lane] = embedtune_gelu_tail[j][interval[lane]];
    return c;
}

#if defined(__x86_64__)
#include <immintrin.h>
/// The same by one vpermt2ps on the row's two registers, for AVX-512 code (the indexed loads cost
/// sixteen scalar loads and inserts per row): out[0..<16] from interval[0..<16]. Pointers, not
/// vectors, cross into it from the untargeted helpers below; once they are inlined into an AVX-512
/// function (the only callers), it is inlined too and the vectors stay in registers.
EMBEDTUNE_V16_AVX512 static inline void v16_gelu_coefficient_permuted(int j, const int *interval, float *out) {
    _mm512_storeu_ps(out, _mm512_permutex2var_ps(_mm512_loadu_ps(embedtune_gelu_tail[j]), _mm512_loadu_si512(interval),
                                                 _mm512_loadu_ps(embedtune_gelu_tail[j] + 16)));
}

V16 v16f v16_gelu_coefficient_avx512(int j, v16i interval) {
    int lanes[16];
    float out[16];
    __builtin_memcpy(lanes, &interval, sizeof lanes);
    v16_gelu_coefficient_permuted(j, lanes, out);
    return v16_load(out);
}
#endif

/// Φ(x), the standard normal CDF, lane by lane: Q(a) = Φ(-a) at a = |x| from gelu_table.h's
/// piecewise polynomial (interval i = floor(a * 32 / 6), Horner in the position u within it; Q = 0
/// from a >= 6 on, Q(6) < 1e-9), then Φ(x) = 1 - Q for x >= 0 and Q otherwise. Defined as NAME with
/// the coefficient lookup COEFFICIENT: v16_normal_cdf (indexed loads, any target) and
/// v16_normal_cdf_avx512 (permutes, for AVX-512 functions only); simd_math.h spells the latter with
/// intrinsics for the packed products' stores. The lookups are exact, so all give the same bits (tested).
/// The functions carry no target attribute: one on these helpers would break the vector calling
/// convention between them and their callers.
#define EMBEDTUNE_NORMAL_CDF(NAME, COEFFICIENT)                                                           \
    V16 v16f NAME(v16f x) {                                                                              \
        _Pragma("clang fp contract(off)")                                                                \
        const v16f s = (v16f)((v16i)x & 0x7FFFFFFF) * v16_splat((float)EMBEDTUNE_GELU_INTERVALS / EMBEDTUNE_GELU_RANGE); \
        const v16i inside = s < v16_splat((float)EMBEDTUNE_GELU_INTERVALS);                              \
        const v16f f = __builtin_elementwise_floor(s);                                                   \
        const v16f u = s - f;                                                                            \
        const v16i interval = __builtin_convertvector(v16_select(inside, f, v16_splat(0)), v16i);        \
        v16f q = COEFFICIENT(4, interval);                                                               \
        q = v16_fma(q, u, COEFFICIENT(3, interval));                                                     \
        q = v16_fma(q, u, COEFFICIENT(2, interval));                                                     \
        q = v16_fma(q, u, COEFFICIENT(1, interval));                                                     \
        q = v16_select(inside, v16_fma(q, u, COEFFICIENT(0, interval)), v16_splat(0));                   \
        return v16_select(x >= v16_splat(0), v16_splat(1) - q, q);                                       \
    }

/// The exact GELU x Φ(x) (HF "gelu", PyTorch's approximate="none") lane by lane: the GELU of every
/// path. NaN stays NaN; gelu(+inf) = +inf, gelu(-inf) = NaN (-inf * 0, as in PyTorch). And
/// gelu'(x) = Φ(x) + x φ(x). NAME_GELU and NAME_DERIVATIVE over the CDF named CDF; NAME_DERIVATIVE##_at
/// takes Φ(x) already computed (a kernel that wants both computes it once).
#define EMBEDTUNE_GELU(NAME_GELU, NAME_DERIVATIVE, CDF)                                                 \
    V16 v16f NAME_GELU(v16f x) {                                                                         \
        _Pragma("clang fp contract(off)")                                                                \
        return x * CDF(x);                                                                               \
    }                                                                                                    \
    V16 v16f NAME_DERIVATIVE##_at(v16f x, v16f cdf) {                                                    \
        _Pragma("clang fp contract(off)")                                                                \
        const v16f pdf = v16_exp(v16_splat(-0.5f) * x * x) * 0.3989422804014327f;                        \
        return v16_fma(x, pdf, cdf);                                                                     \
    }                                                                                                    \
    V16 v16f NAME_DERIVATIVE(v16f x) { return NAME_DERIVATIVE##_at(x, CDF(x)); }

EMBEDTUNE_NORMAL_CDF(v16_normal_cdf, v16_gelu_coefficient)
EMBEDTUNE_GELU(v16_gelu, v16_gelu_derivative, v16_normal_cdf)
#if defined(__x86_64__)
EMBEDTUNE_NORMAL_CDF(v16_normal_cdf_avx512, v16_gelu_coefficient_avx512)
EMBEDTUNE_GELU(v16_gelu_avx512, v16_gelu_derivative_avx512, v16_normal_cdf_avx512)
#endif

/// p[0..<16] = e^p[0..<16]: for callers compiled for another target, which must not pass vectors.
V16 void v16_exp_in_place(float *p) { v16_store(p, v16_exp(v16_load(p))); }

#endif
