// exp, erf and GELU on 16-lane vectors (vector16.h), shared by the vector kernels and the AVX-512 attention
// kernel: one implementation of each function in the project.
#ifndef EMBEDTUNE_VECTOR16_MATH_H
#define EMBEDTUNE_VECTOR16_MATH_H

#include "erf_coefficients.h"
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

/// erf lane by lane: an odd polynomial in x^2 on |x| < 1 and 1 - e^(-x^2) q(1/|x|) on
/// 1 <= |x| < bound (erf_coefficients.h), the input clamped to ±bound.
V16 v16f v16_erf(v16f x) {
#pragma clang fp contract(off)
    const v16f bound = v16_splat(EMBEDTUNE_ERF_BOUND), nbound = v16_splat(-EMBEDTUNE_ERF_BOUND);
    v16f a = v16_select(x < nbound, nbound, x);
    a = v16_select(a > bound, bound, a);
    const v16f ax = (v16f)((v16i)a & 0x7FFFFFFF);
    const v16f t = a * a;
    v16f p = v16_splat(EMBEDTUNE_ERF_SMALL_5);
    p = v16_fma(p, t, v16_splat(EMBEDTUNE_ERF_SMALL_4));
    p = v16_fma(p, t, v16_splat(EMBEDTUNE_ERF_SMALL_3));
    p = v16_fma(p, t, v16_splat(EMBEDTUNE_ERF_SMALL_2));
    p = v16_fma(p, t, v16_splat(EMBEDTUNE_ERF_SMALL_1));
    p = v16_fma(p, t, v16_splat(EMBEDTUNE_ERF_SMALL_0));
    const v16f small = a * p;
    const v16f u = v16_splat(1) / v16_select(ax < v16_splat(1), v16_splat(1), ax);
    v16f q = v16_splat(EMBEDTUNE_ERF_LARGE_7);
    q = v16_fma(q, u, v16_splat(EMBEDTUNE_ERF_LARGE_6));
    q = v16_fma(q, u, v16_splat(EMBEDTUNE_ERF_LARGE_5));
    q = v16_fma(q, u, v16_splat(EMBEDTUNE_ERF_LARGE_4));
    q = v16_fma(q, u, v16_splat(EMBEDTUNE_ERF_LARGE_3));
    q = v16_fma(q, u, v16_splat(EMBEDTUNE_ERF_LARGE_2));
    q = v16_fma(q, u, v16_splat(EMBEDTUNE_ERF_LARGE_1));
    q = v16_fma(q, u, v16_splat(EMBEDTUNE_ERF_LARGE_0));
    const v16f large = v16_splat(1) - v16_exp(-t) * q;
    const v16f signed_large = v16_select(a < v16_splat(0), -large, large);
    return v16_select(ax >= v16_splat(1), signed_large, small);
}

/// The exact (erf) GELU lane by lane, x Φ(x) = 0.5 x (1 + erf(x / √2)): the GELU of every path
/// except the AVX-512 inference kernels, which use simd_math.h's table (2.6% faster encoding).
V16 v16f v16_gelu(v16f x) {
#pragma clang fp contract(off)
    const v16f cdf = v16_splat(0.5f) * (v16_splat(1) + v16_erf(x * 0.7071067811865475f));
    return x * cdf;
}

/// gelu'(x) = Φ(x) + x φ(x) lane by lane.
V16 v16f v16_gelu_derivative(v16f x) {
#pragma clang fp contract(off)
    const v16f cdf = v16_splat(0.5f) * (v16_splat(1) + v16_erf(x * 0.7071067811865475f));
    const v16f pdf = v16_exp(v16_splat(-0.5f) * x * x) * 0.3989422804014327f;
    return v16_fma(x, pdf, cdf);
}

/// p[0..<16] = e^p[0..<16]: for callers compiled for another target, which must not pass vectors.
V16 void v16_exp_in_place(float *p) { v16_store(p, v16_exp(v16_load(p))); }

#endif
