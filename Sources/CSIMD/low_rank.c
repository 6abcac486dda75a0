// See include/low_rank.h.
//
// Down-projection: two input rows against eight rows of `down` at a time, 16 accumulators, each a
// 16-lane partial dot product over k (k in steps of 16: 2 + 8 loads per 16 FMAs), folded into one
// vector of the 16 sums by a shuffle tree. Outer-product sums: 32 columns of v against 8 columns of u
// per pass, 16 accumulators (2 + 8 loads per 16 FMAs); the rows go in blocks of 64 so a block of v
// stays in L2 while every 32-column pass reads it, and the partial sums wait in a float32 buffer
// between blocks (the sum over rows keeps its order, so the bits do not depend on the blocking).
// Both read rows that come from memory and prefetch them: the down-projection two row pairs ahead,
// the outer sums one 32-column pass ahead and, in the block's last pass, the next block's first
// (each ~1.4x on 2600 x 384 rows out of cache; without, they waited on their loads half the time).
#include "low_rank.h"
#include "cpu_features.h"

#include <stdlib.h>

enum { ROWS_PER_BLOCK = 64 };

static void down_plain(const float *inp, long m, long k, const float *down, long r, float scale, float *out) {
    for (long i = 0; i < m; i++) {
        for (long j = 0; j < r; j++) {
            float s = 0;
            for (long kk = 0; kk < k; kk++) s += inp[i * k + kk] * down[j * k + kk];
            out[i * r + j] = scale * s;
        }
    }
}

static void outer_plain(const float *u, long m, long r, const float *v, long ldv, long k, float scale, float *g,
                        long ldj, long ldk) {
    for (long j = 0; j < r; j++) {
        for (long kk = 0; kk < k; kk++) {
            float s = 0;
            for (long i = 0; i < m; i++) s += u[i * r + j] * v[i * ldv + kk];
            g[j * ldj + kk * ldk] += scale * s;
        }
    }
}

// The sums buffer of `embedtune_low_rank_outer_accumulate`: ceil(r / 8) * 8 rows of ldSums.
static long sums_stride(long k) { return (k + 31) / 32 * 32; }

// sums (r, ldSums) += u (m, r)^T @ v (m, k), row by row in order: each sum the chain outer_plain's s is.
static void outer_accumulate_plain(const float *u, long m, long r, const float *v, long ldv, long k, float *sums) {
    const long ldSums = sums_stride(k);
    for (long i = 0; i < m; i++)
        for (long j = 0; j < r; j++)
            for (long kk = 0; kk < k; kk++) sums[j * ldSums + kk] += u[i * r + j] * v[i * ldv + kk];
}

#if defined(__x86_64__)
#include <immintrin.h>

#include "panel_edge.h"

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

// Lane 4 * (s % 4) + s / 4 of the result is the sum of the 16 lanes of v[s].
TARGET static inline __m512 sum_lanes_16(const __m512 *v) {
    __m512 a[8], b[4], c[2];
    for (int t = 0; t < 8; t++)  // lanes 0-7: v[2t]'s halves added; 8-15: v[2t+1]'s
        a[t] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * t], v[2 * t + 1], 0x44),
                             _mm512_shuffle_f32x4(v[2 * t], v[2 * t + 1], 0xEE));
    for (int t = 0; t < 4; t++)  // 128-bit chunk q: four partial sums of v[4t + q]
        b[t] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * t], a[2 * t + 1], 0x88),
                             _mm512_shuffle_f32x4(a[2 * t], a[2 * t + 1], 0xDD));
    for (int t = 0; t < 2; t++)  // chunk q: two partials of v[8t + q], two of v[8t + 4 + q]
        c[t] = _mm512_add_ps(_mm512_shuffle_ps(b[2 * t], b[2 * t + 1], 0x44),
                             _mm512_shuffle_ps(b[2 * t], b[2 * t + 1], 0xEE));
    // chunk q: the sums of v[q], v[4 + q], v[8 + q], v[12 + q]
    return _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], 0x88), _mm512_shuffle_ps(c[0], c[1], 0xDD));
}

TARGET static void down_avx512(const float *inp, long m, long k, const float *down, long r, float scale, float *out) {
    const long body = k - k % 16;
    const __mmask16 tail = (__mmask16)((1u << (k % 16)) - 1);
    const __m512 scaleV = _mm512_set1_ps(scale);
    for (long j0 = 0; j0 < r; j0 += 8) {
        const long jn = r - j0 < 8 ? r - j0 : 8;
        const float *w[8];  // rows of `down`; past the last, the last again (computed, not stored)
        for (int j = 0; j < 8; j++) w[j] = down + (j0 + (j < jn ? j : jn - 1)) * k;
        for (long i = 0; i < m; i += 2) {
            const int pair = i + 1 < m;
            const float *x0 = inp + i * k, *x1 = inp + (pair ? i + 1 : i) * k;
            __m512 acc[16];  // acc[8 * row + j]
            for (int t = 0; t < 16; t++) acc[t] = _mm512_setzero_ps();
            const char *ahead = (const char *)(inp + (i + 4 < m ? i + 4 : i) * k);  // two pairs on
            const long aheadBytes = (i + 6 <= m ? 2 : i + 5 <= m ? 1 : 0) * k * (long)sizeof(float);
            for (long kk = 0; kk < body; kk += 16) {
                if (kk * 8 < aheadBytes) {
                    _mm_prefetch(ahead + kk * 8, _MM_HINT_T0);
                    _mm_prefetch(ahead + kk * 8 + 64, _MM_HINT_T0);
                }
                const __m512 v0 = _mm512_loadu_ps(x0 + kk), v1 = _mm512_loadu_ps(x1 + kk);
                for (int j = 0; j < 8; j++) {
                    const __m512 wj = _mm512_loadu_ps(w[j] + kk);
                    acc[j] = _mm512_fmadd_ps(v0, wj, acc[j]);
                    acc[8 + j] = _mm512_fmadd_ps(v1, wj, acc[8 + j]);
                }
            }
            if (tail) {
                const __m512 v0 = _mm512_maskz_loadu_ps(tail, x0 + body), v1 = _mm512_maskz_loadu_ps(tail, x1 + body);
                for (int j = 0; j < 8; j++) {
                    const __m512 wj = _mm512_maskz_loadu_ps(tail, w[j] + body);
                    acc[j] = _mm512_fmadd_ps(v0, wj, acc[j]);
                    acc[8 + j] = _mm512_fmadd_ps(v1, wj, acc[8 + j]);
                }
            }
            __m512 slots[16];  // slot s lands in lane 4 * (s % 4) + s / 4: acc[t] in lane t
            for (int s = 0; s < 16; s++) slots[s] = acc[4 * (s % 4) + s / 4];
            float lanes[16];
            _mm512_storeu_ps(lanes, _mm512_mul_ps(sum_lanes_16(slots), scaleV));
            for (long j = 0; j < jn; j++) out[i * r + j0 + j] = lanes[j];
            if (pair)
                for (long j = 0; j < jn; j++) out[(i + 1) * r + j0 + j] = lanes[8 + j];
        }
    }
}

// sums (ceil(r / 8) * 8, ceil(k / 32) * 32) += u (m, r)^T @ v (m, k), rows in order. Chunk (j0, k0):
// 8 columns of u (past r: the last again, summed but never read back) by 32 of v (past k: zeros).
TARGET static void outer_block_avx512(const float *u, long m, long r, const float *v, long ldv, long k, float *sums,
                                      long ldSums, const float *nextV, long nextM) {
    for (long k0 = 0; k0 < k; k0 += 32) {
        const long width = k - k0 < 32 ? k - k0 : 32;
        const __mmask16 m0 = (__mmask16)(width >= 16 ? 0xFFFF : (1u << width) - 1);
        const __mmask16 m1 = (__mmask16)(width >= 32 ? 0xFFFF : width <= 16 ? 0 : (1u << (width - 16)) - 1);
        for (long j0 = 0; j0 < r; j0 += 8) {
            const long jn = r - j0 < 8 ? r - j0 : 8;
            long column[8];
            for (int j = 0; j < 8; j++) column[j] = j0 + (j < jn ? j : jn - 1);
            float *s = sums + j0 * ldSums + k0;
            __m512 acc[16];  // acc[2 * j + half]
            for (int j = 0; j < 8; j++) {
                acc[2 * j] = _mm512_load_ps(s + j * ldSums);
                acc[2 * j + 1] = _mm512_load_ps(s + j * ldSums + 16);
            }
            // The first pass over each 32 columns fetches the rows' next 32 (one pass ahead).
            // The first pass over each 32 columns fetches the rows' next 32 (one pass ahead); the last,
            // the next block's first 32.
            const int fetch = j0 == 0 && k0 + 32 < k, fetchNext = j0 == 0 && k0 + 32 >= k;
            for (long i = 0; i < m; i++) {
                const float *vi = v + i * ldv + k0, *ui = u + i * r;
                if (fetch) {
                    _mm_prefetch((const char *)(vi + 32), _MM_HINT_T0);
                    _mm_prefetch((const char *)(vi + 48), _MM_HINT_T0);
                } else if (fetchNext && i < nextM) {
                    _mm_prefetch((const char *)(nextV + i * ldv), _MM_HINT_T0);
                    _mm_prefetch((const char *)(nextV + i * ldv + 16), _MM_HINT_T0);
                }
                const __m512 v0 = _mm512_maskz_loadu_ps(m0, vi), v1 = _mm512_maskz_loadu_ps(m1, vi + 16);
                for (int j = 0; j < 8; j++) {
                    const __m512 x = _mm512_set1_ps(ui[column[j]]);
                    acc[2 * j] = _mm512_fmadd_ps(x, v0, acc[2 * j]);
                    acc[2 * j + 1] = _mm512_fmadd_ps(x, v1, acc[2 * j + 1]);
                }
            }
            for (int j = 0; j < 8; j++) {
                _mm512_store_ps(s + j * ldSums, acc[2 * j]);
                _mm512_store_ps(s + j * ldSums + 16, acc[2 * j + 1]);
            }
        }
    }
}


// The AVX2 + FMA spellings. Down-projection: one input row against eight rows of `down` at a time (one
// pass over the input for rank 8), 8 accumulators of 8-lane partial dot products over k, folded by
// horizontal adds (its sums group
// differently from the AVX-512 kernel's, so its bits may differ from it in the last place, like the
// plain loop's). Outer-product sums: 16 columns of v against 4 columns of u per pass, 8 accumulators,
// the same FMA chain per sum in row order as the AVX-512 kernel, so the same bits.
#define TARGET2 __attribute__((target("avx2,fma")))

// The lane sums of a, b, c and d, in that order.
TARGET2 static inline __m128 sum_lanes_4(__m256 a, __m256 b, __m256 c, __m256 d) {
    const __m256 t = _mm256_hadd_ps(_mm256_hadd_ps(a, b), _mm256_hadd_ps(c, d));
    return _mm_add_ps(_mm256_castps256_ps128(t), _mm256_extractf128_ps(t, 1));
}

TARGET2 static void down_avx2(const float *inp, long m, long k, const float *down, long r, float scale, float *out) {
    const long body = k - k % 8;
    const __m256i tail = lanes_below_avx2(k % 8);
    const __m128 scaleV = _mm_set1_ps(scale);
    for (long j0 = 0; j0 < r; j0 += 8) {
        const long jn = r - j0 < 8 ? r - j0 : 8;
        const float *w[8];  // rows of `down`; past the last, the last again (computed, not stored)
        for (int j = 0; j < 8; j++) w[j] = down + (j0 + (j < jn ? j : jn - 1)) * k;
        for (long i = 0; i < m; i++) {
            const float *x = inp + i * k;
            __m256 acc[8];
            for (int j = 0; j < 8; j++) acc[j] = _mm256_setzero_ps();
            for (long kk = 0; kk < body; kk += 8) {
                const __m256 v = _mm256_loadu_ps(x + kk);
                for (int j = 0; j < 8; j++) acc[j] = _mm256_fmadd_ps(v, _mm256_loadu_ps(w[j] + kk), acc[j]);
            }
            if (k % 8) {
                const __m256 v = _mm256_maskload_ps(x + body, tail);
                for (int j = 0; j < 8; j++) acc[j] = _mm256_fmadd_ps(v, _mm256_maskload_ps(w[j] + body, tail), acc[j]);
            }
            float lanes[8];
            _mm_storeu_ps(lanes, _mm_mul_ps(sum_lanes_4(acc[0], acc[1], acc[2], acc[3]), scaleV));
            _mm_storeu_ps(lanes + 4, _mm_mul_ps(sum_lanes_4(acc[4], acc[5], acc[6], acc[7]), scaleV));
            for (long j = 0; j < jn; j++) out[i * r + j0 + j] = lanes[j];
        }
    }
}

// sums (ceil(r / 8) * 8, ldSums) += u (m, r)^T @ v (m, k), rows in order. Chunk (j0, k0):
// 4 columns of u (past r: the last again, into rows of sums never read back) by 16 of v (past k: zeros).
TARGET2 static void outer_block_avx2(const float *u, long m, long r, const float *v, long ldv, long k, float *sums,
                                     long ldSums, const float *nextV, long nextM) {
    (void)nextV, (void)nextM;  // no prefetch
    for (long k0 = 0; k0 < k; k0 += 16) {
        const __m256i m0 = lanes_below_avx2(k - k0), m1 = lanes_below_avx2(k - k0 - 8);
        const int full = k0 + 16 <= k;
        for (long j0 = 0; j0 < r; j0 += 4) {
            const long jn = r - j0 < 4 ? r - j0 : 4;
            long column[4];
            for (int j = 0; j < 4; j++) column[j] = j0 + (j < jn ? j : jn - 1);
            float *s = sums + j0 * ldSums + k0;
            __m256 acc[8];  // acc[2 * j + half]
            for (int j = 0; j < 4; j++) {
                acc[2 * j] = _mm256_loadu_ps(s + j * ldSums);
                acc[2 * j + 1] = _mm256_loadu_ps(s + j * ldSums + 8);
            }
            for (long i = 0; i < m; i++) {
                const float *vi = v + i * ldv + k0, *ui = u + i * r;
                const __m256 v0 = full ? _mm256_loadu_ps(vi) : _mm256_maskload_ps(vi, m0);
                const __m256 v1 = full ? _mm256_loadu_ps(vi + 8) : _mm256_maskload_ps(vi + 8, m1);
                for (int j = 0; j < 4; j++) {
                    const __m256 x = _mm256_broadcast_ss(ui + column[j]);
                    acc[2 * j] = _mm256_fmadd_ps(x, v0, acc[2 * j]);
                    acc[2 * j + 1] = _mm256_fmadd_ps(x, v1, acc[2 * j + 1]);
                }
            }
            for (int j = 0; j < 4; j++) {
                _mm256_storeu_ps(s + j * ldSums, acc[2 * j]);
                _mm256_storeu_ps(s + j * ldSums + 8, acc[2 * j + 1]);
            }
        }
    }
}

// One block of rows of the outer sums: sums (ldSums per row) += u (m, r)^T @ v (m, k), rows in order;
// `nextV` (nextM rows, stride ldv) is the next block, which the block may fetch ahead.
typedef void (*OuterBlock)(const float *u, long m, long r, const float *v, long ldv, long k, float *sums,
                           long ldSums, const float *nextV, long nextM);

// The rows in blocks of ROWS_PER_BLOCK, so a block of v stays in cache while every pass reads it.
static void outer_accumulate_blocks(OuterBlock block, const float *u, long m, long r, const float *v, long ldv,
                                    long k, float *sums) {
    for (long i0 = 0; i0 < m; i0 += ROWS_PER_BLOCK) {
        const long count = m - i0 < ROWS_PER_BLOCK ? m - i0 : ROWS_PER_BLOCK;
        const long next = m - i0 - count < ROWS_PER_BLOCK ? m - i0 - count : ROWS_PER_BLOCK;
        block(u + i0 * r, count, r, v + i0 * ldv, ldv, k, sums, sums_stride(k), v + (i0 + count) * ldv, next);
    }
}
#endif

void embedtune_low_rank_down(const float *inp, long m, long k, const float *down, long r, float scale, float *out) {
    if (m <= 0 || r <= 0) return;
#if defined(__x86_64__)
    const int features = embedtune_cpu_features();
    if (features & EMBEDTUNE_CPU_AVX512) {
        down_avx512(inp, m, k, down, r, scale, out);
        return;
    }
    if (features & EMBEDTUNE_CPU_AVX2) {
        down_avx2(inp, m, k, down, r, scale, out);
        return;
    }
#endif
    down_plain(inp, m, k, down, r, scale, out);
}

long embedtune_low_rank_outer_sums_floats(long r, long k) { return (r + 7) / 8 * 8 * sums_stride(k); }

void embedtune_low_rank_outer_accumulate(const float *u, long m, long r, const float *v, long ldv, long k,
                                         float *sums) {
    if (m <= 0 || r <= 0 || k <= 0) return;
#if defined(__x86_64__)
    const int features = embedtune_cpu_features();
    if (features & EMBEDTUNE_CPU_AVX512) {
        outer_accumulate_blocks(outer_block_avx512, u, m, r, v, ldv, k, sums);
        return;
    }
    if (features & EMBEDTUNE_CPU_AVX2) {
        outer_accumulate_blocks(outer_block_avx2, u, m, r, v, ldv, k, sums);
        return;
    }
#endif
    outer_accumulate_plain(u, m, r, v, ldv, k, sums);
}

void embedtune_low_rank_outer_finish(const float *sums, long r, long k, float scale, float *g, long ldj, long ldk) {
    const long ldSums = sums_stride(k);
    for (long j = 0; j < r; j++)
        for (long kk = 0; kk < k; kk++) g[j * ldj + kk * ldk] += scale * sums[j * ldSums + kk];
}

void embedtune_low_rank_outer(const float *u, long m, long r, const float *v, long ldv, long k, float scale, float *g,
                              long ldj, long ldk) {
    if (m <= 0 || r <= 0 || k <= 0) return;
#if defined(__x86_64__)
    if (embedtune_cpu_features() & (EMBEDTUNE_CPU_AVX512 | EMBEDTUNE_CPU_AVX2)) {
        const long count = embedtune_low_rank_outer_sums_floats(r, k);
        float *sums = aligned_alloc(64, (size_t)count * sizeof(float));
        if (sums) {
            for (long t = 0; t < count; t++) sums[t] = 0;
            embedtune_low_rank_outer_accumulate(u, m, r, v, ldv, k, sums);
            embedtune_low_rank_outer_finish(sums, r, k, scale, g, ldj, ldk);
            free(sums);
            return;
        }
    }
#endif
    outer_plain(u, m, r, v, ldv, k, scale, g, ldj, ldk);
}
