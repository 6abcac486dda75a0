// See include/attention_train.h.
//
// Two kinds of product, on one head's (l, hs) blocks:
// - scores, X K^T (S = Q K^T, and dout V^T in backward): K (or V) transposed once into the scratch,
//   four rows of X against up to 64 keys per block, as in inference (attention_blocks.h);
// - the others (P V, P^T dout, dS K, dS^T Q) are one small product C = A B with A strided (either
//   orientation of an (l, l) matrix in the scratch) and B rows of a head block: tiles of 12 rows x 32
//   columns in 24 accumulators, per step two loads of B and one broadcast of A per row, like the
//   packed products' kernel.
// Between them, the softmax and its backward run row by row on the (l, l) matrix in the scratch.
// The AVX2 spelling is in attention_avx2.c; it and the plain loops below compute every output by the
// same chain of operations (row sums in lane_sums.h's order), so all paths give the same bits.
#include "attention_train.h"
#include "attention_avx2.h"
#include "cpu_features.h"
#include "lane_sums.h"
#include "vector_kernels.h"

#include <math.h>

#pragma clang fp contract(off)

enum { KEYS = 64, MR = 12 };

static long padded(long l) { return (l + 15) / 16 * 16; }

static long rows_of_four(long l) { return (l + 3) / 4 * 4; }

int embedtune_attention_train_available(long hs) {
    return hs > 0 && hs % 16 == 0 && (embedtune_cpu_features() & (EMBEDTUNE_CPU_AVX512 | EMBEDTUNE_CPU_AVX2)) != 0;
}

long embedtune_attention_train_scratch_floats(long l, long hs) {
    // K^T or V^T (hs, lp), then an (l rounded up to 4, lp) matrix: P · M, then dS in backward.
    return hs * padded(l) + rows_of_four(l) * padded(l);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#include "vector16_math.h"
#include "attention_blocks.h"

// `rows` (1 to 12) rows of C (row stride ldc), 32 columns (`two`) or 16:
// C[r][c] = (overwrite ? 0 : C[r][c]) + sum over s < steps of a[r * ars + s * ass] * b[s * ldb + c].
TARGET static inline __attribute__((always_inline)) void tile(
    const int rows, const int two, const float *a, long ars, long ass, long steps, const float *b, long ldb, float *c,
    long ldc, int overwrite) {
    __m512 acc0[MR], acc1[MR];
    _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++) {
        acc0[r] = overwrite ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc);
        acc1[r] = overwrite || !two ? _mm512_setzero_ps() : _mm512_loadu_ps(c + r * ldc + 16);
    }
    for (long s = 0; s < steps; s++) {
        const __m512 w0 = _mm512_loadu_ps(b + s * ldb);
        const __m512 w1 = two ? _mm512_loadu_ps(b + s * ldb + 16) : _mm512_setzero_ps();
        _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++) {
            const __m512 x = _mm512_set1_ps(a[r * ars + s * ass]);
            acc0[r] = _mm512_fmadd_ps(x, w0, acc0[r]);
            if (two) acc1[r] = _mm512_fmadd_ps(x, w1, acc1[r]);
        }
    }
    _Pragma("clang loop unroll(full)") for (int r = 0; r < rows; r++) {
        _mm512_storeu_ps(c + r * ldc, acc0[r]);
        if (two) _mm512_storeu_ps(c + r * ldc + 16, acc1[r]);
    }
}

// C (m, hs) (= or +=) A (m, steps) B (steps, hs): A[r][s] at a[r * ars + s * ass], B's rows ldb apart,
// C's ldc apart; hs a multiple of 16. Rows go 12 at a time, then the 1 to 11 left in one tile of
// their own: sequences are short, and a one-row tile waits on its two accumulators' latency.
TARGET static void small_product(long m, long hs, const float *a, long ars, long ass, long steps, const float *b,
                                 long ldb, float *c, long ldc, int overwrite) {
    for (long c0 = 0; c0 < hs; c0 += 32) {
        const int two = hs - c0 >= 32;
        for (long r = 0; r < m; r += MR) {
            const float *ar = a + r * ars;
            float *cr = c + r * ldc + c0;
#define TILE(ROWS)                                                                                 \
    case ROWS:                                                                                     \
        if (two)                                                                                   \
            tile(ROWS, 1, ar, ars, ass, steps, b + c0, ldb, cr, ldc, overwrite);                   \
        else                                                                                       \
            tile(ROWS, 0, ar, ars, ass, steps, b + c0, ldb, cr, ldc, overwrite);                   \
        break;
            switch (m - r < MR ? m - r : MR) {
                TILE(1) TILE(2) TILE(3) TILE(4) TILE(5) TILE(6) TILE(7) TILE(8) TILE(9) TILE(10) TILE(11)
            default:
                TILE(12)
            }
#undef TILE
        }
    }
}

// k (l, hs; rows ld apart) -> kt (hs, lp), the padding columns zero.
TARGET static void transpose(const float *k, long ld, long l, long hs, float *kt, long lp) {
    for (long j0 = 0; j0 < lp; j0 += 16)
        for (long d0 = 0; d0 < hs; d0 += 16)
            transpose_16(k + j0 * ld + d0, ld, l - j0 < 16 ? l - j0 : 16, kt + d0 * lp + j0, lp);
}

// out (rows_of_four(l), lp) = scale X kt, X's rows x + i * ld (rows past l repeat the last; their
// results are scratch), kt (hs, lp).
TARGET static void scores(const float *x, long ld, long l, const float *kt, long lp, long hs, float scale, float *out) {
    const __m512 vscale = _mm512_set1_ps(scale);
    for (long i = 0; i < l; i += SCORE_ROWS) {
        const float *xs[SCORE_ROWS];
        float *rows[SCORE_ROWS];
        for (int t = 0; t < SCORE_ROWS; t++) {
            xs[t] = x + (i + t < l ? i + t : l - 1) * ld;
            rows[t] = out + (i + t) * lp;
        }
        for (long j0 = 0; j0 < lp; j0 += KEYS) {
            const long left = (lp - j0) / 16;
            scores_block(xs, kt, lp, hs, left < 4 ? (int)left : 4, vscale, rows, j0);
        }
    }
}

// The mask of the 16 entries from j on of a row of l.
TARGET static inline __mmask16 entries(long j, long l) {
    return (__mmask16)(l - j >= 16 ? 0xFFFF : (1u << (l - j)) - 1);
}

TARGET static void forward_avx512(const float *q, const float *k, const float *v, long ld, long l, long hs,
                                  float scale, const float *mask, float *probs, float *scratch, float *out) {
    const long lp = padded(l);
    float *kt = scratch, *pm = scratch + hs * lp;  // (hs, lp), (rows_of_four(l), lp)
    transpose(k, ld, l, hs, kt, lp);
    scores(q, ld, l, kt, lp, hs, scale, pm);
    for (long i = 0; i < l; i++) {
        float *row = pm + i * lp;
        const __m512 inverse = _mm512_set1_ps(exponentiate(row, l));
        for (long j = 0; j < l; j += 16) {
            const __mmask16 e = entries(j, l);
            __m512 p = _mm512_mul_ps(_mm512_maskz_loadu_ps(e, row + j), inverse);
            _mm512_mask_storeu_ps(probs + i * l + j, e, p);
            if (mask) p = _mm512_mul_ps(p, _mm512_maskz_loadu_ps(e, mask + i * l + j));
            _mm512_mask_storeu_ps(row + j, e, p);
        }
    }
    small_product(l, hs, pm, lp, 1, l, v, ld, out, ld, 1);  // out = (P · M) V
}

TARGET static void backward_avx512(const float *q, const float *k, const float *v, const float *dout, long ld, long l,
                                   long hs, float scale, const float *probs, const float *mask, float *scratch,
                                   float *dq, float *dk, float *dv, int overwrite) {
    const long lp = padded(l);
    float *vt = scratch, *a = scratch + hs * lp;  // (hs, lp), (rows_of_four(l), lp)
    // a = P · M;  dV = (P · M)^T dout
    for (long i = 0; i < l; i++)
        for (long j = 0; j < l; j += 16) {
            const __mmask16 e = entries(j, l);
            __m512 p = _mm512_maskz_loadu_ps(e, probs + i * l + j);
            if (mask) p = _mm512_mul_ps(p, _mm512_maskz_loadu_ps(e, mask + i * l + j));
            _mm512_mask_storeu_ps(a + i * lp + j, e, p);
        }
    small_product(l, hs, a, 1, lp, l, dout, ld, dv, ld, overwrite);
    // a = dout V^T, then dP = a · M and dS = scale P (dP - rowsum(P dP)), row by row
    transpose(v, ld, l, hs, vt, lp);
    scores(dout, ld, l, vt, lp, hs, 1.0f, a);
    const __m512 vscale = _mm512_set1_ps(scale);
    for (long i = 0; i < l; i++) {
        float *row = a + i * lp;
        const float *p = probs + i * l;
        __m512 sum = _mm512_setzero_ps();
        for (long j = 0; j < l; j += 16) {
            const __mmask16 e = entries(j, l);
            __m512 dp = _mm512_maskz_loadu_ps(e, row + j);
            if (mask) dp = _mm512_mul_ps(dp, _mm512_maskz_loadu_ps(e, mask + i * l + j));
            _mm512_mask_storeu_ps(row + j, e, dp);
            sum = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(e, p + j), dp, sum);
        }
        const __m512 dot = _mm512_set1_ps(lane_sum16_avx512(sum));
        for (long j = 0; j < l; j += 16) {
            const __mmask16 e = entries(j, l);
            const __m512 ps = _mm512_mul_ps(_mm512_maskz_loadu_ps(e, p + j), vscale);
            _mm512_mask_storeu_ps(row + j, e, _mm512_mul_ps(ps, _mm512_sub_ps(_mm512_maskz_loadu_ps(e, row + j), dot)));
        }
    }
    small_product(l, hs, a, lp, 1, l, k, ld, dq, ld, overwrite);  // dQ = dS K
    small_product(l, hs, a, 1, lp, l, q, ld, dk, ld, overwrite);  // dK = dS^T Q
}
#endif

// ---- Plain C: each output by the kernels' chain (one fused multiply-add per step in order, from zero
// or from the output when accumulating; scores then scaled; row sums in 16 lanes, lane_sums.h).

// c (m, hs) (= or +=) a (m, steps) b (steps, hs), a[r][s] at a[r * ars + s * ass].
static void small_product_plain(long m, long hs, const float *a, long ars, long ass, long steps, const float *b,
                                long ldb, float *c, long ldc, int overwrite) {
    for (long r = 0; r < m; r++)
        for (long col = 0; col < hs; col++) {
            float sum = overwrite ? 0.0f : c[r * ldc + col];
            for (long s = 0; s < steps; s++) sum = fmaf(a[r * ars + s * ass], b[s * ldb + col], sum);
            c[r * ldc + col] = sum;
        }
}

// out (l, l) = scale X Y^T, rows of X and Y ld apart.
static void scores_plain(const float *x, const float *y, long ld, long l, long hs, float scale, float *out) {
    for (long i = 0; i < l; i++)
        for (long j = 0; j < l; j++) {
            float s = 0.0f;
            for (long d = 0; d < hs; d++) s = fmaf(x[i * ld + d], y[j * ld + d], s);
            out[i * l + j] = s * scale;
        }
}

void embedtune_attention_train_forward(const float *q, const float *k, const float *v, long ld, long l, long hs,
                                       float scale, const float *mask, float *probs, float *scratch, float *out) {
    embedtune_attention_train_forward_on(embedtune_cpu_features(), q, k, v, ld, l, hs, scale, mask, probs, scratch,
                                         out);
}

void embedtune_attention_train_forward_on(int cpu, const float *q, const float *k, const float *v, long ld, long l,
                                          long hs, float scale, const float *mask, float *probs, float *scratch,
                                          float *out) {
#if defined(__x86_64__)
    cpu &= embedtune_cpu_detected();
    if (hs > 0 && hs % 16 == 0 && (cpu & EMBEDTUNE_CPU_AVX512)) {
        forward_avx512(q, k, v, ld, l, hs, scale, mask, probs, scratch, out);
        return;
    }
    if (hs > 0 && hs % 16 == 0 && (cpu & EMBEDTUNE_CPU_AVX2)) {
        embedtune_attention_train_forward_avx2(q, k, v, ld, l, hs, scale, mask, probs, scratch, out);
        return;
    }
#else
    (void)cpu;
#endif
    scores_plain(q, k, ld, l, hs, scale, scratch);
    for (long i = 0; i < l; i++) {
        float *row = scratch + i * l;
        const float inverse = exponentiate_plain(row, l);
        for (long j = 0; j < l; j++) {
            probs[i * l + j] = row[j] * inverse;
            row[j] = mask ? probs[i * l + j] * mask[i * l + j] : probs[i * l + j];
        }
    }
    small_product_plain(l, hs, scratch, l, 1, l, v, ld, out, ld, 1);
}

void embedtune_attention_train_backward(const float *q, const float *k, const float *v, const float *dout, long ld,
                                        long l, long hs, float scale, const float *probs, const float *mask,
                                        float *scratch, float *dq, float *dk, float *dv, int overwrite) {
    embedtune_attention_train_backward_on(embedtune_cpu_features(), q, k, v, dout, ld, l, hs, scale, probs, mask,
                                          scratch, dq, dk, dv, overwrite);
}

void embedtune_attention_train_backward_on(int cpu, const float *q, const float *k, const float *v, const float *dout,
                                           long ld, long l, long hs, float scale, const float *probs,
                                           const float *mask, float *scratch, float *dq, float *dk, float *dv,
                                           int overwrite) {
#if defined(__x86_64__)
    cpu &= embedtune_cpu_detected();
    if (hs > 0 && hs % 16 == 0 && (cpu & EMBEDTUNE_CPU_AVX512)) {
        backward_avx512(q, k, v, dout, ld, l, hs, scale, probs, mask, scratch, dq, dk, dv, overwrite);
        return;
    }
    if (hs > 0 && hs % 16 == 0 && (cpu & EMBEDTUNE_CPU_AVX2)) {
        embedtune_attention_train_backward_avx2(q, k, v, dout, ld, l, hs, scale, probs, mask, scratch, dq, dk, dv,
                                                overwrite);
        return;
    }
#else
    (void)cpu;
#endif
    for (long i = 0; i < l * l; i++) scratch[i] = mask ? probs[i] * mask[i] : probs[i];
    small_product_plain(l, hs, scratch, 1, l, l, dout, ld, dv, ld, overwrite);
    scores_plain(dout, v, ld, l, hs, 1.0f, scratch);
    for (long i = 0; i < l; i++) {
        float *row = scratch + i * l;
        const float *p = probs + i * l;
        float lanes[16] = {0};
        for (long j = 0; j < l; j++) {
            if (mask) row[j] *= mask[i * l + j];
            lanes[j % 16] = fmaf(p[j], row[j], lanes[j % 16]);
        }
        // the kernels' lanes past l, up to the next multiple of 16, add 0 * 0 (which turns a -0 into +0)
        for (long j = l; j % 16 != 0; j++) lanes[j % 16] = fmaf(0.0f, 0.0f, lanes[j % 16]);
        const float dot = lane_sum16_plain(lanes);
        for (long j = 0; j < l; j++) row[j] = (p[j] * scale) * (row[j] - dot);
    }
    small_product_plain(l, hs, scratch, l, 1, l, k, ld, dq, ld, overwrite);
    small_product_plain(l, hs, scratch, 1, l, l, q, ld, dk, ld, overwrite);
}
