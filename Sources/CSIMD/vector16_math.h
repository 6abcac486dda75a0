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

/// Φ(x), the standard normal CDF, lane by lane: Q(a) = Φ(-a) at a = |x| from gelu_table.h's
/// piecewise polynomial (interval i = floor(a * 32 / 6), Horner in the position u within it; Q = 0
/// from a >= 6 on, Q(6) < 1e-9), then Φ(x) = 1 - Q for x >= 0 and Q otherwise. The coefficient
/// lookups are indexed loads here; simd_math.h spells the same operations with AVX-512 permutes for
/// the packed products' stores, and both give the same bits (tested).
V16 v16f v16_normal_cdf(v16f x) {
#pragma clang fp contract(off)
    const v16f s = (v16f)((v16i)x & 0x7FFFFFFF) * v16_splat((float)EMBEDTUNE_GELU_INTERVALS / EMBEDTUNE_GELU_RANGE);
    const v16i inside = s < v16_splat((float)EMBEDTUNE_GELU_INTERVALS);
    const v16f f = __builtin_elementwise_floor(s);
    const v16f u = s - f;
    const v16i interval = __builtin_convertvector(v16_select(inside, f, v16_splat(0)), v16i);
    v16f c[EMBEDTUNE_GELU_DEGREE + 1];
    for (int j = 0; j <= EMBEDTUNE_GELU_DEGREE; j++)
        for (int lane = 0; lane < 16; lane++) c[j][lane] = embedtune_gelu_tail[j][interval[lane]];
    v16f q = c[4];
    q = v16_fma(q, u, c[3]);
    q = v16_fma(q, u, c[2]);
    q = v16_fma(q, u, c[1]);
    q = v16_select(inside, v16_fma(q, u, c[0]), v16_splat(0));
    return v16_select(x >= v16_splat(0), v16_splat(1) - q, q);
}

/// The exact GELU x Φ(x) (HF "gelu", PyTorch's approximate="none") lane by lane: the GELU of every
/// path. NaN stays NaN; gelu(+inf) = +inf, gelu(-inf) = NaN (-inf * 0, as in PyTorch).
V16 v16f v16_gelu(v16f x) {
#pragma clang fp contract(off)
    return x * v16_normal_cdf(x);
}

/// gelu'(x) = Φ(x) + x φ(x) lane by lane.
V16 v16f v16_gelu_derivative(v16f x) {
#pragma clang fp contract(off)
    const v16f pdf = v16_exp(v16_splat(-0.5f) * x * x) * 0.3989422804014327f;
    return v16_fma(x, pdf, v16_normal_cdf(x));
}

/// p[0..<16] = e^p[0..<16]: for callers compiled for another target, which must not pass vectors.
V16 void v16_exp_in_place(float *p) { v16_store(p, v16_exp(v16_load(p))); }

#endif
