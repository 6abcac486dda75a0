// See include/attention_head.h.
//
// Per sequence: K is transposed once into the scratch (hs rows of L padded to 16, by 16 x 16 blocks in
// registers), so query rows' scores are hs broadcast-FMAs over contiguous vectors of keys (up to 64
// keys per step). Four query rows go together (16 independent accumulator chains, enough to hide
// the FMA latency).
// Each row is exponentiated (max subtracted), and out_i = (sum_j e_ij v_j) / sum_j e_ij, with v
// rows read directly.
#include "attention_head.h"
#include "cpu_features.h"
#include "vector_kernels.h"

#include <math.h>

enum { KEYS = 64 };

static long padded(long l) { return (l + 15) / 16 * 16; }

int embedtune_attention_head_available(long hs) {
    return hs > 0 && hs % 16 == 0 && (embedtune_cpu_features() & EMBEDTUNE_CPU_AVX512) != 0;
}

long embedtune_attention_head_scratch_floats(long l, long hs) {
    // K^T (hs, Lp), four score rows of Lp.
    return hs * padded(l) + 4 * padded(l);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#include "vector16_math.h"

// Scores of ROWS query rows (row pointers q0..q3, rows beyond the real ones repeat the last) against
// NV * 16 keys starting at `kt` (row stride lp), scaled, into rows[t] + j0.
#define ROWS 4
TARGET static inline void scores_block(const float *const qs[ROWS], const float *kt, long lp, long hs, int nv,
                                       __m512 scale, float *const rows[ROWS], long j0) {
    __m512 s[ROWS][4];
    for (int t = 0; t < ROWS; t++)
        for (int u = 0; u < 4; u++) s[t][u] = _mm512_setzero_ps();
#define SCORE_LOOP(NV)                                                                  \
    for (long d = 0; d < hs; d++) {                                                     \
        const float *kd = kt + d * lp + j0;                                             \
        __m512 kv[NV];                                                                  \
        for (int u = 0; u < NV; u++) kv[u] = _mm512_loadu_ps(kd + 16 * u);             \
        for (int t = 0; t < ROWS; t++) {                                                \
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
    for (int t = 0; t < ROWS; t++)
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

// Softmax numerators of one score row in place (first l entries); returns 1 / their sum.
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
    return 1.0f / _mm512_reduce_add_ps(sum);
}

TARGET static void head_avx512(const float *q, const float *k, const float *v, long ld, long l, long hs,
                               float scale, float *scratch, float *out) {
    const long lp = padded(l);
    float *kt = scratch;  // (hs, lp)
    for (long j0 = 0; j0 < lp; j0 += 16)
        for (long d0 = 0; d0 < hs; d0 += 16)
            transpose_16(k + j0 * ld + d0, ld, l - j0 < 16 ? l - j0 : 16, kt + d0 * lp + j0, lp);
    const __m512 vscale = _mm512_set1_ps(scale);
    float *const rows[ROWS] = {scratch + hs * lp, scratch + hs * lp + lp, scratch + hs * lp + 2 * lp,
                               scratch + hs * lp + 3 * lp};
    for (long i = 0; i < l; i += ROWS) {
        const float *qs[ROWS];
        for (int t = 0; t < ROWS; t++) qs[t] = q + (i + t < l ? i + t : l - 1) * ld;
        for (long j0 = 0; j0 < lp; j0 += KEYS) {
            const long left = (lp - j0) / 16;
            scores_block(qs, kt, lp, hs, left < 4 ? (int)left : 4, vscale, rows, j0);
        }
        float inverse[ROWS];
        for (int t = 0; t < ROWS; t++) inverse[t] = exponentiate(rows[t], l);
        // out rows = (sum_j e_j v_j) / sum, 32 output columns at a time, ROWS rows together
        for (long c0 = 0; c0 < hs; c0 += 32) {
            const int two = hs - c0 >= 32;
            __m512 o[ROWS][2];
            for (int t = 0; t < ROWS; t++) o[t][0] = o[t][1] = _mm512_setzero_ps();
            for (long j = 0; j < l; j++) {
                const float *vj = v + j * ld + c0;
                const __m512 v0 = _mm512_loadu_ps(vj);
                const __m512 v1 = two ? _mm512_loadu_ps(vj + 16) : _mm512_setzero_ps();
                for (int t = 0; t < ROWS; t++) {
                    const __m512 p = _mm512_set1_ps(rows[t][j]);
                    o[t][0] = _mm512_fmadd_ps(p, v0, o[t][0]);
                    o[t][1] = _mm512_fmadd_ps(p, v1, o[t][1]);
                }
            }
            for (int t = 0; t < ROWS && i + t < l; t++) {
                float *ot = out + (i + t) * ld + c0;
                const __m512 inv = _mm512_set1_ps(inverse[t]);
                _mm512_storeu_ps(ot, _mm512_mul_ps(o[t][0], inv));
                if (two) _mm512_storeu_ps(ot + 16, _mm512_mul_ps(o[t][1], inv));
            }
        }
    }
}
#endif

void embedtune_attention_head(const float *q, const float *k, const float *v, long ld, long l, long hs,
                              float scale, float *scratch, float *out) {
#if defined(__x86_64__)
    if (embedtune_attention_head_available(hs)) {
        head_avx512(q, k, v, ld, l, hs, scale, scratch, out);
        return;
    }
#endif
    // Not reached when callers check availability; a plain version keeps the function total.
    float *row = scratch;
    for (long i = 0; i < l; i++) {
        float m = -__builtin_inff();
        for (long j = 0; j < l; j++) {
            float s = 0.0f;
            for (long d = 0; d < hs; d++) s += q[i * ld + d] * k[j * ld + d];
            row[j] = s * scale;
            m = row[j] > m ? row[j] : m;
        }
        for (long j = 0; j < l; j++) row[j] -= m;
        embedtune_vec_exp(row, l, row);  // the one exp (vector16_math.h)
        float sum = 0.0f;
        for (long j = 0; j < l; j++) sum += row[j];
        for (long d = 0; d < hs; d++) {
            float o = 0.0f;
            for (long j = 0; j < l; j++) o += row[j] * v[j * ld + d];
            out[i * ld + d] = o / sum;
        }
    }
}
