// The piecewise-polynomial Gaussian tail behind the one GELU (vector16_math.h's v16_normal_cdf and
// its AVX-512 spelling gelu_avx512 in simd_math.h); private to the C kernels.
//
// Q(a) = Φ(-a) = erfc(a / √2) / 2 on [0, EMBEDTUNE_GELU_RANGE), cut into EMBEDTUNE_GELU_INTERVALS
// equal intervals; on interval i, with a = (i + u) * RANGE / INTERVALS and u in [0, 1),
// Q(a) ≈ sum_j embedtune_gelu_tail[j][i] u^j. Degree 4, interpolating at the five Chebyshev nodes:
// absolute error ≤ 4e-8 over [0, 6) (float coefficients included; 3e-8 measured), relative error a
// few 1e-7 where Q is small. Built once, when the program loads, from libm's erfc in double.
#ifndef EMBEDTUNE_GELU_TABLE_H
#define EMBEDTUNE_GELU_TABLE_H

enum { EMBEDTUNE_GELU_INTERVALS = 32, EMBEDTUNE_GELU_DEGREE = 4 };
#define EMBEDTUNE_GELU_RANGE 6.0f

/// [j][i]: coefficient of u^j on interval i; each row is two zmm registers of 16 (64-byte aligned).
extern float embedtune_gelu_tail[EMBEDTUNE_GELU_DEGREE + 1][EMBEDTUNE_GELU_INTERVALS];

#endif
