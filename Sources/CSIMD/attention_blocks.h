// The AVX-512 blocks of the attention kernels (attention_head.c for inference, attention_train.c for
// training): K^T by 16 x 16 register transposes, four query rows' scores against up to 64 keys, and a
// score row's softmax numerators. Only for x86-64 translation units that include <immintrin.h> and
// vector16_math.h and define TARGET (AVX-512 F/BW/VL) first.
#ifndef EMBEDTUNE_ATTENTION_BLOCKS_H
#define EMBEDTUNE_ATTENTION_BLOCKS_H

#include "lane_sums.h"

// Scores of SCORE_ROWS query rows (row pointers q0..q3, rows beyond the real ones repeat the last) against
// NV * 16 keys starting at `kt` (row stride lp), scaled, into rows[t] + j0.
enum { SCORE_ROWS = 4 };
TARGET static inline void scores_block(const float *const qs[SCORE_ROWS], const float *kt, long lp, long hs, int nv,
                                       __m512 scale, float *const rows[SCORE_ROWS], long j0) {
    __m512 s[SCORE_ROWS][4];
    for (int t = 0; t < SCORE_ROWS; t++)
        for (int u = 0; u < 4; u++) s[t][u] = _mm512_setzero_ps();
#define SCORE_LOOP(NV)                                                                  \
    for (long d = 0; d < hs; d++) {                                                     \
        const float *kd = kt + d * lp + j0;                                             \
        __m512 kv[NV];                                                                  \
        for (int u = 0; u < NV; u++) kv[u] = _mm512_loadu_ps(kd + 16 * u);             \
        for (int t = 0; t < SCORE_ROWS; t++) {                                                \
            const __m512 x = _mm512_set1_ps(qs[t][d]);                                  \
            for (int u = 0; u < NV; u++) s[t][u] = _mm512_fmadd_ps(x, kv[u], s[t][u]);  \
        }                                                                               \
    }
    switch (nv) {
    case 1: SCORE_LOOP(1) break;
    case 2: SCORE_LOOP(2) break;
    case 3: SCORE_LOOP(3) break;
    default: SCORE_LOOP(4) break;
    }
#undef SCORE_LOOP
    for (int t = 0; t < SCORE_ROWS; t++)
        for (int u = 0; u < nv; u++) _mm512_storeu_ps(rows[t] + j0 + 16 * u, _mm512_mul_ps(s[t][u], scale));
}

// One 16 x 16 block of K^T: rows 0..15 of `k` (row stride ld; rows from `rows` on read as 0, the
// padding) become columns of `kt` (row stride lp). Within each 128-bit lane, unpacks of floats then of
// float pairs gather 4 x 4 blocks; two rounds of 128-bit lane shuffles put the blocks in order.
TARGET static inline void transpose_16(const float *k, long ld, long rows, float *kt, long lp) {
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = i < rows ? _mm512_loadu_ps(k + i * ld) : _mm512_setzero_ps();
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    // r[4g + e], lane q: column 4q + e of rows 4g .. 4g + 3
    for (int g = 0; g < 16; g += 4) {
        const __m512d a = _mm512_castps_pd(t[g]), b = _mm512_castps_pd(t[g + 1]);
        const __m512d c = _mm512_castps_pd(t[g + 2]), d = _mm512_castps_pd(t[g + 3]);
        r[g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int e = 0; e < 4; e++) {
        const __m512 u0 = _mm512_shuffle_f32x4(r[e], r[4 + e], 0x88), u1 = _mm512_shuffle_f32x4(r[e], r[4 + e], 0xdd);
        const __m512 v0 = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0x88);
        const __m512 v1 = _mm512_shuffle_f32x4(r[8 + e], r[12 + e], 0xdd);
        _mm512_storeu_ps(kt + e * lp, _mm512_shuffle_f32x4(u0, v0, 0x88));
        _mm512_storeu_ps(kt + (4 + e) * lp, _mm512_shuffle_f32x4(u1, v1, 0x88));
        _mm512_storeu_ps(kt + (8 + e) * lp, _mm512_shuffle_f32x4(u0, v0, 0xdd));
        _mm512_storeu_ps(kt + (12 + e) * lp, _mm512_shuffle_f32x4(u1, v1, 0xdd));
    }
}

// Softmax numerators of one score row in place (first l entries, zeros after them up to the next
// multiple of 16); returns 1 / their sum.
TARGET static inline float exponentiate(float *row, long l) {
    __m512 m = _mm512_set1_ps(-__builtin_inff());
    long j = 0;
    for (; j + 16 <= l; j += 16) m = _mm512_max_ps(m, _mm512_loadu_ps(row + j));
    const __mmask16 tail = (__mmask16)((1u << (l - j)) - 1);
    if (j < l) m = _mm512_mask_max_ps(m, tail, m, _mm512_loadu_ps(row + j));
    const __m512 vmax = _mm512_set1_ps(_mm512_reduce_max_ps(m));
    __m512 sum = _mm512_setzero_ps();
    // e^(x - max) through the project's one exp (vector16_math.h), in place: vectors do not cross
    // into the baseline-target helper, only the pointer does.
    for (j = 0; j + 16 <= l; j += 16) {
        _mm512_storeu_ps(row + j, _mm512_sub_ps(_mm512_loadu_ps(row + j), vmax));
        v16_exp_in_place(row + j);
        sum = _mm512_add_ps(sum, _mm512_loadu_ps(row + j));
    }
    if (j < l) {
        _mm512_storeu_ps(row + j, _mm512_sub_ps(_mm512_loadu_ps(row + j), vmax));
        v16_exp_in_place(row + j);
        const __m512 e = _mm512_maskz_loadu_ps(tail, row + j);
        _mm512_storeu_ps(row + j, e);
        sum = _mm512_add_ps(sum, e);
    }
    return 1.0f / lane_sum16_avx512(sum);  // the order of lane_sums.h
}

#endif
