// See include/attention_head.h.
//
// Per sequence: K is transposed once into the scratch (hs rows of L padded to 16, by 16 x 16 blocks in
// registers), so query rows' scores are hs broadcast-FMAs over contiguous vectors of keys (up to 64
// keys per step). Four query rows go together (16 independent accumulator chains, enough to hide
// the FMA latency).
// Each row is exponentiated (max subtracted), and out_i = (sum_j e_ij v_j) / sum_j e_ij, with v
// rows read directly. The AVX2 spelling is in attention_avx2.c; it and the plain loop below compute
// every output by the same chain of operations, so all paths give the same bits.
#include "attention_head.h"
#include "attention_avx2.h"
#include "cpu_features.h"
#include "lane_sums.h"
#include "vector_kernels.h"

#include <math.h>

#pragma clang fp contract(off)

enum { KEYS = 64 };

static long padded(long l) { return (l + 15) / 16 * 16; }

int embedtune_attention_head_available(long hs) {
    return hs > 0 && hs % 16 == 0 && (embedtune_cpu_features() & (EMBEDTUNE_CPU_AVX512 | EMBEDTUNE_CPU_AVX2)) != 0;
}

long embedtune_attention_head_scratch_floats(long l, long hs) {
    // K^T (hs, Lp), four score rows of Lp.
    return hs * padded(l) + 4 * padded(l);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#include "vector16_math.h"
#include "attention_blocks.h"

TARGET static void head_avx512(const float *q, const float *k, const float *v, long ld, long l, long hs,
                               float scale, float *scratch, float *out) {
    const long lp = padded(l);
    float *kt = scratch;  // (hs, lp)
    for (long j0 = 0; j0 < lp; j0 += 16)
        for (long d0 = 0; d0 < hs; d0 += 16)
            transpose_16(k + j0 * ld + d0, ld, l - j0 < 16 ? l - j0 : 16, kt + d0 * lp + j0, lp);
    const __m512 vscale = _mm512_set1_ps(scale);
    float *const rows[SCORE_ROWS] = {scratch + hs * lp, scratch + hs * lp + lp, scratch + hs * lp + 2 * lp,
                               scratch + hs * lp + 3 * lp};
    for (long i = 0; i < l; i += SCORE_ROWS) {
        const float *qs[SCORE_ROWS];
        for (int t = 0; t < SCORE_ROWS; t++) qs[t] = q + (i + t < l ? i + t : l - 1) * ld;
        for (long j0 = 0; j0 < lp; j0 += KEYS) {
            const long left = (lp - j0) / 16;
            scores_block(qs, kt, lp, hs, left < 4 ? (int)left : 4, vscale, rows, j0);
        }
        float inverse[SCORE_ROWS];
        for (int t = 0; t < SCORE_ROWS; t++) inverse[t] = exponentiate(rows[t], l);
        // out rows = (sum_j e_j v_j) / sum, 32 output columns at a time, SCORE_ROWS rows together
        for (long c0 = 0; c0 < hs; c0 += 32) {
            const int two = hs - c0 >= 32;
            __m512 o[SCORE_ROWS][2];
            for (int t = 0; t < SCORE_ROWS; t++) o[t][0] = o[t][1] = _mm512_setzero_ps();
            for (long j = 0; j < l; j++) {
                const float *vj = v + j * ld + c0;
                const __m512 v0 = _mm512_loadu_ps(vj);
                const __m512 v1 = two ? _mm512_loadu_ps(vj + 16) : _mm512_setzero_ps();
                for (int t = 0; t < SCORE_ROWS; t++) {
                    const __m512 p = _mm512_set1_ps(rows[t][j]);
                    o[t][0] = _mm512_fmadd_ps(p, v0, o[t][0]);
                    o[t][1] = _mm512_fmadd_ps(p, v1, o[t][1]);
                }
            }
            for (int t = 0; t < SCORE_ROWS && i + t < l; t++) {
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
    embedtune_attention_head_on(embedtune_cpu_features(), q, k, v, ld, l, hs, scale, scratch, out);
}

void embedtune_attention_head_on(int cpu, const float *q, const float *k, const float *v, long ld, long l, long hs,
                                 float scale, float *scratch, float *out) {
#if defined(__x86_64__)
    cpu &= embedtune_cpu_detected();
    if (hs > 0 && hs % 16 == 0 && (cpu & EMBEDTUNE_CPU_AVX512)) {
        head_avx512(q, k, v, ld, l, hs, scale, scratch, out);
        return;
    }
    if (hs > 0 && hs % 16 == 0 && (cpu & EMBEDTUNE_CPU_AVX2)) {
        embedtune_attention_head_avx2(q, k, v, ld, l, hs, scale, scratch, out);
        return;
    }
#else
    (void)cpu;
#endif
    // The plain loop, each output by the kernels' chain: a score is one fused multiply-add per channel
    // in order, then the scale; an output one per key in order, then 1 / the sum. The same bits.
    float *row = scratch;
    for (long i = 0; i < l; i++) {
        for (long j = 0; j < l; j++) {
            float s = 0.0f;
            for (long d = 0; d < hs; d++) s = fmaf(q[i * ld + d], k[j * ld + d], s);
            row[j] = s * scale;
        }
        const float inverse = exponentiate_plain(row, l);
        for (long d = 0; d < hs; d++) {
            float o = 0.0f;
            for (long j = 0; j < l; j++) o = fmaf(row[j], v[j * ld + d], o);
            out[i * ld + d] = o * inverse;
        }
    }
}
