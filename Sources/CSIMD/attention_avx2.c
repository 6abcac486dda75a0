// See attention_avx2.h. The AVX-512 kernels' blocks (attention_blocks.h, attention_train.c) in ymm:
// - K^T (or V^T) by 8 x 8 register transposes into the same (hs, lp) scratch, lp = l rounded up to 16;
// - scores: four query rows against 16 keys per block (8 accumulators), each score one FMA per
//   channel in order, then the scale;
// - a score row's softmax numerators: the max, then e^(x - max) by the project's one exp on 16
//   floats at a time, their sum kept in 16 lanes (two ymm) and added up in lane_sums.h's order;
// - the small products C = A B (P V, P^T dout, dS K, dS^T Q): tiles of 6 rows x 16 columns in 12
//   accumulators, one FMA per step in order from zero (or from C when accumulating).
// Every output is thus the AVX-512 kernel's chain of operations, and so the same bits.
#include "attention_avx2.h"

#if defined(__x86_64__)
#include <immintrin.h>

#pragma clang fp contract(off)

#define TARGET __attribute__((target("avx2,fma")))
#include "vector16_math.h"
#include "lane_sums.h"
#include "panel_edge.h"

enum { SCORE_ROWS = 4, MR = 6 };

static long padded(long l) { return (l + 15) / 16 * 16; }

// Rows 0..7 of `k` (row stride ld; rows from `rows` on read as 0) become columns of `kt` (stride lp).
TARGET static inline void transpose_8(const float *k, long ld, long rows, float *kt, long lp) {
    __m256 r[8];
    for (int i = 0; i < 8; i++) r[i] = i < rows ? _mm256_loadu_ps(k + i * ld) : _mm256_setzero_ps();
    __m256 t[8], u[8];
    for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // per 128-bit lane: r_i0 r_(i+1)0 r_i1 r_(i+1)1
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  //                   r_i2 r_(i+1)2 r_i3 r_(i+1)3
    }
    for (int g = 0; g < 8; g += 4) {  // columns e, e + 4 of rows g .. g + 3 in u[g + e]
        u[g] = _mm256_shuffle_ps(t[g], t[g + 2], 0x44);
        u[g + 1] = _mm256_shuffle_ps(t[g], t[g + 2], 0xEE);
        u[g + 2] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0x44);
        u[g + 3] = _mm256_shuffle_ps(t[g + 1], t[g + 3], 0xEE);
    }
    for (int e = 0; e < 4; e++) {
        _mm256_storeu_ps(kt + e * lp, _mm256_permute2f128_ps(u[e], u[4 + e], 0x20));
        _mm256_storeu_ps(kt + (4 + e) * lp, _mm256_permute2f128_ps(u[e], u[4 + e], 0x31));
    }
}

// k (l, hs; rows ld apart) -> kt (hs, lp), the padding columns zero.
TARGET static void transpose(const float *k, long ld, long l, long hs, float *kt, long lp) {
    for (long j0 = 0; j0 < lp; j0 += 8)
        for (long d0 = 0; d0 < hs; d0 += 8) transpose_8(k + j0 * ld + d0, ld, l - j0, kt + d0 * lp + j0, lp);
}

// Scores of four query rows (xs; rows beyond the real ones repeat the last) against NV * 8 keys from
// j0 on of kt (hs, lp), scaled, into rows[t] + j0.
TARGET static inline __attribute__((always_inline)) void scores_block(
    const int nv, const float *const xs[SCORE_ROWS], const float *kt, long lp, long hs, __m256 scale,
    float *const rows[SCORE_ROWS], long j0) {
    __m256 s[SCORE_ROWS][2];
    for (int t = 0; t < SCORE_ROWS; t++) s[t][0] = s[t][1] = _mm256_setzero_ps();
    for (long d = 0; d < hs; d++) {
        const __m256 k0 = _mm256_loadu_ps(kt + d * lp + j0);
        const __m256 k1 = nv == 2 ? _mm256_loadu_ps(kt + d * lp + j0 + 8) : k0;
        for (int t = 0; t < SCORE_ROWS; t++) {
            const __m256 x = _mm256_broadcast_ss(xs[t] + d);
            s[t][0] = _mm256_fmadd_ps(x, k0, s[t][0]);
            if (nv == 2) s[t][1] = _mm256_fmadd_ps(x, k1, s[t][1]);
        }
    }
    for (int t = 0; t < SCORE_ROWS; t++) {
        _mm256_storeu_ps(rows[t] + j0, _mm256_mul_ps(s[t][0], scale));
        if (nv == 2) _mm256_storeu_ps(rows[t] + j0 + 8, _mm256_mul_ps(s[t][1], scale));
    }
}

// Rows i .. i + 3 of x (rows ld apart; past l the last repeats) scored against kt: rows[t], keys
// 0 ..< l rounded up to 8, then zeros up to lp (no key past l is scored in vain beyond its 8).
TARGET static void score_rows(const float *x, long ld, long l, long i, const float *kt, long lp, long hs, float scale,
                              float *const rows[SCORE_ROWS]) {
    const float *xs[SCORE_ROWS];
    for (int t = 0; t < SCORE_ROWS; t++) xs[t] = x + (i + t < l ? i + t : l - 1) * ld;
    const __m256 vscale = _mm256_set1_ps(scale);
    long j0 = 0;
    for (; j0 + 16 <= l; j0 += 16) scores_block(2, xs, kt, lp, hs, vscale, rows, j0);
    if (l - j0 > 8)
        scores_block(2, xs, kt, lp, hs, vscale, rows, j0);
    else if (l > j0) {
        scores_block(1, xs, kt, lp, hs, vscale, rows, j0);
        for (int t = 0; t < SCORE_ROWS; t++) _mm256_storeu_ps(rows[t] + j0 + 8, _mm256_setzero_ps());
    }
}

// The entries j .. j + 7 of a row of l that exist (none past l).
TARGET static inline __m256i entries(long j, long l) { return lanes_below_avx2(l - j); }

// Entries j .. j + 7 of a row of l stored: a plain store where all exist (a masked store costs about
// a dozen cycles on AMD's Zen cores), else a masked one. Rows of the scratch, which are padded to 16,
// take plain stores throughout (what lands past l is never read).
TARGET static inline void store_entries(float *row, long j, long l, __m256 x) {
    if (j + 8 <= l)
        _mm256_storeu_ps(row + j, x);
    else
        _mm256_maskstore_ps(row + j, entries(j, l), x);
}

// Softmax numerators of one score row in place (first l entries, zeros after them up to the next
// multiple of 16, which the row must hold); returns 1 / their sum.
TARGET static float exponentiate(float *row, long l) {
    float top = -__builtin_inff();
    for (long j = 0; j < l; j++) top = row[j] > top ? row[j] : top;
    const __m256 vtop = _mm256_set1_ps(top);
    __m256 sum[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};  // lanes 0..7 and 8..15 of the 16
    for (long j = 0; j < l; j += 16) {
        for (int h = 0; h < 2; h++) _mm256_storeu_ps(row + j + 8 * h, _mm256_sub_ps(_mm256_loadu_ps(row + j + 8 * h), vtop));
        v16_exp_in_place(row + j);
        for (int h = 0; h < 2; h++) {
            const __m256 e = _mm256_maskload_ps(row + j + 8 * h, entries(j + 8 * h, l));
            _mm256_storeu_ps(row + j + 8 * h, e);
            sum[h] = _mm256_add_ps(sum[h], e);
        }
    }
    return 1.0f / lane_sum16_avx2(sum[0], sum[1]);
}

// `rows` (1 to 6) rows of C, 16 columns: C[r][c] = (overwrite ? 0 : C[r][c]) + sum over s < steps of
// a[r * ars + s * ass] * b[s * ldb + c], one FMA per s in order.
TARGET static inline __attribute__((always_inline)) void tile(const int rows, const float *a, long ars, long ass,
                                                              long steps, const float *b, long ldb, float *c, long ldc,
                                                              int overwrite) {
    __m256 acc0[MR], acc1[MR];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++) {
        acc0[r] = overwrite ? _mm256_setzero_ps() : _mm256_loadu_ps(c + r * ldc);
        acc1[r] = overwrite ? _mm256_setzero_ps() : _mm256_loadu_ps(c + r * ldc + 8);
    }
    for (long s = 0; s < steps; s++) {
        const __m256 w0 = _mm256_loadu_ps(b + s * ldb), w1 = _mm256_loadu_ps(b + s * ldb + 8);
        _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++) {
            const __m256 x = _mm256_broadcast_ss(a + r * ars + s * ass);
            acc0[r] = _mm256_fmadd_ps(x, w0, acc0[r]);
            acc1[r] = _mm256_fmadd_ps(x, w1, acc1[r]);
        }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++) {
        _mm256_storeu_ps(c + r * ldc, acc0[r]);
        _mm256_storeu_ps(c + r * ldc + 8, acc1[r]);
    }
}

// C (m, hs) (= or +=) A (m, steps) B (steps, hs), as attention_train.c's small_product.
TARGET static void small_product(long m, long hs, const float *a, long ars, long ass, long steps, const float *b,
                                 long ldb, float *c, long ldc, int overwrite) {
    for (long c0 = 0; c0 < hs; c0 += 16)
        for (long r = 0; r < m; r += MR) {
            const float *ar = a + r * ars;
            float *cr = c + r * ldc + c0;
#define TILE(ROWS) \
    case ROWS: tile(ROWS, ar, ars, ass, steps, b + c0, ldb, cr, ldc, overwrite); break;
            switch (m - r < MR ? m - r : MR) {
                TILE(1) TILE(2) TILE(3) TILE(4) TILE(5)
            default:
                TILE(6)
            }
#undef TILE
        }
}

TARGET void embedtune_attention_head_avx2(const float *q, const float *k, const float *v, long ld, long l, long hs,
                                          float scale, float *scratch, float *out) {
    const long lp = padded(l);
    float *kt = scratch;  // (hs, lp)
    transpose(k, ld, l, hs, kt, lp);
    float *const rows[SCORE_ROWS] = {kt + hs * lp, kt + hs * lp + lp, kt + hs * lp + 2 * lp, kt + hs * lp + 3 * lp};
    for (long i = 0; i < l; i += SCORE_ROWS) {
        score_rows(q, ld, l, i, kt, lp, hs, scale, rows);
        float inverse[SCORE_ROWS];
        for (int t = 0; t < SCORE_ROWS; t++) inverse[t] = exponentiate(rows[t], l);
        // out rows = (sum_j e_j v_j) / sum, 16 output columns at a time
        for (long c0 = 0; c0 < hs; c0 += 16) {
            __m256 o[SCORE_ROWS][2];
            for (int t = 0; t < SCORE_ROWS; t++) o[t][0] = o[t][1] = _mm256_setzero_ps();
            for (long j = 0; j < l; j++) {
                const __m256 v0 = _mm256_loadu_ps(v + j * ld + c0), v1 = _mm256_loadu_ps(v + j * ld + c0 + 8);
                for (int t = 0; t < SCORE_ROWS; t++) {
                    const __m256 p = _mm256_broadcast_ss(rows[t] + j);
                    o[t][0] = _mm256_fmadd_ps(p, v0, o[t][0]);
                    o[t][1] = _mm256_fmadd_ps(p, v1, o[t][1]);
                }
            }
            for (int t = 0; t < SCORE_ROWS && i + t < l; t++) {
                const __m256 inv = _mm256_set1_ps(inverse[t]);
                _mm256_storeu_ps(out + (i + t) * ld + c0, _mm256_mul_ps(o[t][0], inv));
                _mm256_storeu_ps(out + (i + t) * ld + c0 + 8, _mm256_mul_ps(o[t][1], inv));
            }
        }
    }
}

TARGET void embedtune_attention_train_forward_avx2(const float *q, const float *k, const float *v, long ld, long l,
                                                   long hs, float scale, const float *mask, float *probs,
                                                   float *scratch, float *out) {
    const long lp = padded(l);
    float *kt = scratch, *pm = scratch + hs * lp;  // (hs, lp), (l rounded up to 4, lp)
    transpose(k, ld, l, hs, kt, lp);
    for (long i = 0; i < l; i += SCORE_ROWS) {
        float *const rows[SCORE_ROWS] = {pm + i * lp, pm + (i + 1) * lp, pm + (i + 2) * lp, pm + (i + 3) * lp};
        score_rows(q, ld, l, i, kt, lp, hs, scale, rows);
    }
    for (long i = 0; i < l; i++) {
        float *row = pm + i * lp;
        const __m256 inverse = _mm256_set1_ps(exponentiate(row, l));
        for (long j = 0; j < l; j += 8) {
            const __m256i e = entries(j, l);
            __m256 p = _mm256_mul_ps(_mm256_maskload_ps(row + j, e), inverse);
            store_entries(probs + i * l, j, l, p);
            if (mask) p = _mm256_mul_ps(p, _mm256_maskload_ps(mask + i * l + j, e));
            _mm256_storeu_ps(row + j, p);
        }
    }
    small_product(l, hs, pm, lp, 1, l, v, ld, out, ld, 1);  // out = (P · M) V
}

TARGET void embedtune_attention_train_backward_avx2(const float *q, const float *k, const float *v, const float *dout,
                                                    long ld, long l, long hs, float scale, const float *probs,
                                                    const float *mask, float *scratch, float *dq, float *dk, float *dv,
                                                    int overwrite) {
    const long lp = padded(l);
    float *vt = scratch, *a = scratch + hs * lp;  // (hs, lp), (l rounded up to 4, lp)
    // a = P · M;  dV = (P · M)^T dout
    for (long i = 0; i < l; i++)
        for (long j = 0; j < l; j += 8) {
            const __m256i e = entries(j, l);
            __m256 p = _mm256_maskload_ps(probs + i * l + j, e);
            if (mask) p = _mm256_mul_ps(p, _mm256_maskload_ps(mask + i * l + j, e));
            _mm256_storeu_ps(a + i * lp + j, p);
        }
    small_product(l, hs, a, 1, lp, l, dout, ld, dv, ld, overwrite);
    // a = dout V^T, then dP = a · M and dS = scale P (dP - rowsum(P dP)), row by row
    transpose(v, ld, l, hs, vt, lp);
    for (long i = 0; i < l; i += SCORE_ROWS) {
        float *const rows[SCORE_ROWS] = {a + i * lp, a + (i + 1) * lp, a + (i + 2) * lp, a + (i + 3) * lp};
        score_rows(dout, ld, l, i, vt, lp, hs, 1.0f, rows);
    }
    const __m256 vscale = _mm256_set1_ps(scale);
    for (long i = 0; i < l; i++) {
        float *row = a + i * lp;
        const float *p = probs + i * l;
        __m256 sum[2] = {_mm256_setzero_ps(), _mm256_setzero_ps()};  // lanes 0..7 and 8..15 of the 16
        for (long j = 0; j < l; j += 16)
            for (int h = 0; h < 2; h++) {
                const long jh = j + 8 * h;
                const __m256i e = entries(jh, l);
                __m256 dp = _mm256_maskload_ps(row + jh, e);
                if (mask) dp = _mm256_mul_ps(dp, _mm256_maskload_ps(mask + i * l + jh, e));
                _mm256_storeu_ps(row + jh, dp);
                sum[h] = _mm256_fmadd_ps(_mm256_maskload_ps(p + jh, e), dp, sum[h]);
            }
        const __m256 dot = _mm256_set1_ps(lane_sum16_avx2(sum[0], sum[1]));
        for (long j = 0; j < l; j += 8) {
            const __m256i e = entries(j, l);
            const __m256 ps = _mm256_mul_ps(_mm256_maskload_ps(p + j, e), vscale);
            _mm256_storeu_ps(row + j, _mm256_mul_ps(ps, _mm256_sub_ps(_mm256_maskload_ps(row + j, e), dot)));
        }
    }
    small_product(l, hs, a, lp, 1, l, k, ld, dq, ld, overwrite);  // dQ = dS K
    small_product(l, hs, a, 1, lp, l, q, ld, dk, ld, overwrite);  // dK = dS^T Q
}
#endif
