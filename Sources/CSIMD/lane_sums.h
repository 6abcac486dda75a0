// The one order in which the attention kernels (attention_head.c, attention_train.c,
// attention_avx2.c) add up 16 lanes of partial sums (a softmax row's sum, the backward's row dot
// product): h_i = p_i + p_(i+8), then a_i = h_i + h_(i+4), then b_i = a_i + a_(i+2), then b_0 + b_1.
// The AVX-512 kernels keep the 16 lanes in one zmm, the AVX2 ones in two ymm (lanes 0..7 and 8..15),
// the plain loops in an array; all three finish here in this order, so they give the same bits.
#ifndef EMBEDTUNE_LANE_SUMS_H
#define EMBEDTUNE_LANE_SUMS_H

#include "vector_kernels.h"

static inline float lane_sum16_plain(const float p[16]) {
    float h[8], a[4];
    for (int i = 0; i < 8; i++) h[i] = p[i] + p[i + 8];
    for (int i = 0; i < 4; i++) a[i] = h[i] + h[i + 4];
    return (a[0] + a[2]) + (a[1] + a[3]);
}

// The plain loops' softmax numerators of a row of l, in place (the max subtracted, then the one exp of
// vector16_math.h); returns 1 / their sum, summed in 16 lanes and added up in the order above, as the
// kernels do.
static inline float exponentiate_plain(float *row, long l) {
    float top = -__builtin_inff();
    for (long j = 0; j < l; j++) top = row[j] > top ? row[j] : top;
    for (long j = 0; j < l; j++) row[j] -= top;
    embedtune_vec_exp(row, l, row);
    float lanes[16] = {0};
    for (long j = 0; j < l; j++) lanes[j % 16] += row[j];
    return 1.0f / lane_sum16_plain(lanes);
}

#if defined(__x86_64__)
#include <immintrin.h>

// h: lanes i + (i + 8) already added (the two halves of the 16).
__attribute__((target("avx2,fma"))) static inline float lane_sum8_avx2(__m256 h) {
    const __m128 a = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));  // h_i + h_(i+4)
    const __m128 b = _mm_add_ps(a, _mm_movehl_ps(a, a));                                  // a_0 + a_2, a_1 + a_3
    return _mm_cvtss_f32(_mm_add_ss(b, _mm_movehdup_ps(b)));                              // b_0 + b_1
}

// lo: lanes 0..7, hi: lanes 8..15.
__attribute__((target("avx2,fma"))) static inline float lane_sum16_avx2(__m256 lo, __m256 hi) {
    return lane_sum8_avx2(_mm256_add_ps(lo, hi));
}

__attribute__((target("avx512f,avx512bw,avx512vl"))) static inline float lane_sum16_avx512(__m512 v) {
    const __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    return lane_sum16_avx2(_mm512_castps512_ps256(v), hi);
}
#endif

#endif
