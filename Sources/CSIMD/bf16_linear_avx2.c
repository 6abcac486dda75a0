// See bf16_linear_avx2.h. bf16_linear.c's widened kernel spelled in AVX2 + FMA (16 ymm registers
// instead of 32 zmm), on the same packed layout (bf16 pairs of k, 32 columns per panel):
// - a block of at most ROW_BLOCK input rows is rounded to bf16 (round to nearest even, NaN kept and
//   quieted, as embedtune_bf16_from_float) but kept as float32 in the caller's scratch, where it stays
//   in L2 while every panel passes;
// - a tile is up to 6 rows times half a panel (16 columns) in 12 ymm accumulators, started from the
//   bias plus the residual (zero for a missing one, as the plain loop adds them). Per pair of k it
//   takes the half-panel's 16 odd elements as floats (two ymm), broadcasts each row's odd value for 12
//   FMAs, then the same for the even elements: 24 FMAs per 4 weight loads + 12 broadcasts, as many
//   FMAs per k as the float32 AVX2 kernel (packed_linear.c);
// - the weights are widened (the odd element by a mask 0xFFFF0000, the even one by a shift left 16)
//   in registers in every tile when the block is short, and once per block into the scratch when it
//   has WIDE_ROWS rows or more: the 4 widening operations per pair cost a tile about 20% on AMD Zen 1
//   (they compete with the FMAs for the same pipes); read back from L2 like the float32 kernel's
//   weights, the widened half-panel runs at the float32 kernel's speed;
// - each accumulator takes fma(x_odd, w_odd) then fma(x_even, w_even) per pair, in order, then the
//   float32 low-rank term's FMAs, then GELU (gelu_avx2) before the store.
// A product of two bf16 is exact in float32 (unless it overflows or falls among float32's denormals),
// so each FMA equals the plain loop's add of the product: every output is the plain loop's chain, the
// same bits (bf16_linear.c lists the exceptions), and does not depend on which rows share its call. Stores are plain where all 8 lanes
// exist and masked only on the last panel's missing columns (masked stores are slow on AMD).
#include "bf16_linear_avx2.h"

#if defined(__x86_64__)
#include "packed_linear.h"

#include <immintrin.h>

#pragma clang fp contract(off)

#define TARGET __attribute__((target("avx2,fma")))
#include "simd_math.h"
#include "panel_edge.h"

// WIDE_ROWS: from 3 tiles of rows on, widening the half-panel once into the scratch costs less than
// widening it in every tile (measured on AMD EPYC Zen 1: about equal at 12 rows).
enum { NR = 32, MR = 6, ROW_BLOCK = EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK, WIDE_ROWS = 3 * MR };

// 8 floats -> their bf16 roundings as floats (the low 16 bits zero): add 0x7FFF plus the lowest kept
// bit (to nearest, ties to even), cut; a NaN keeps its top bits with the quiet bit set.
TARGET static inline __m256 round_to_bf16(__m256 x) {
    const __m256i u = _mm256_castps_si256(x), top = _mm256_set1_epi32((int)0xFFFF0000u);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i up = _mm256_add_epi32(_mm256_set1_epi32(0x7FFF), lsb);
    const __m256i rounded = _mm256_and_si256(_mm256_add_epi32(u, up), top);
    const __m256i magnitude = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
    const __m256i nan = _mm256_cmpgt_epi32(magnitude, _mm256_set1_epi32(0x7F800000));  // both >= 0: signed is fine
    const __m256i quieted = _mm256_and_si256(_mm256_or_si256(u, _mm256_set1_epi32(0x00400000)), top);
    return _mm256_castsi256_ps(_mm256_blendv_epi8(rounded, quieted, nan));
}

// Rows (rows, k) of floats -> (rows, lda) floats holding their bf16 roundings, lda = k rounded up to
// even, the pad zero (masked lanes load as zero, which rounds to zero).
TARGET static void round_rows(const float *inp, long rows, long k, long lda, float *a) {
    for (long i = 0; i < rows; i++) {
        const float *x = inp + i * k;
        float *d = a + i * lda;
        long kk = 0;
        for (; kk + 8 <= k; kk += 8) _mm256_storeu_ps(d + kk, round_to_bf16(_mm256_loadu_ps(x + kk)));
        if (kk < lda) {  // the last 1..7 values, and the pad of an odd k
            const __m256 v = _mm256_maskload_ps(x + kk, lanes_below_avx2(k - kk));
            _mm256_maskstore_ps(d + kk, lanes_below_avx2(lda - kk), round_to_bf16(v));
        }
    }
}

// The half-panel's pairs, (pairs, 16, 2) bf16 from `half` (step stride 64 bf16), widened to
// (pairs, 2, 16) floats in `wide`: per pair the 16 odd elements, then the 16 even ones.
TARGET static void widen_half(const uint16_t *half, long pairs, float *wide) {
    const __m256i top = _mm256_set1_epi32((int)0xFFFF0000u);
    for (long kp = 0; kp < pairs; kp++) {
        const __m256i p0 = _mm256_loadu_si256((const __m256i *)(half + kp * NR * 2));
        const __m256i p1 = _mm256_loadu_si256((const __m256i *)(half + kp * NR * 2 + 16));
        _mm256_storeu_ps(wide + kp * 32, _mm256_castsi256_ps(_mm256_and_si256(p0, top)));
        _mm256_storeu_ps(wide + kp * 32 + 8, _mm256_castsi256_ps(_mm256_and_si256(p1, top)));
        _mm256_storeu_ps(wide + kp * 32 + 16, _mm256_castsi256_ps(_mm256_slli_epi32(p0, 16)));
        _mm256_storeu_ps(wide + kp * 32 + 24, _mm256_castsi256_ps(_mm256_slli_epi32(p1, 16)));
    }
}

// ROWS (1..6) rows of rounded floats from `a` (row stride lda) times half a panel, its weights read
// from `wide` (pairs, 2, 16) floats (widen_half) when FROM_WIDE, else widened in registers from `half`
// (pairs, 16, 2) bf16 (step stride 64); ROWS and FROM_WIDE are constants where inlined. Then the
// low-rank term: `rows` rows of `low` (row stride rank; rank may be 0) times `low_half` (rank rows of
// 16 floats, stride 32). Accumulators start from bias0 / bias1 plus `res` (row stride ldc, or NULL);
// results go to `c` (row stride ldc), lanes m0 (columns 0..7) and m1 (8..15) of them real, all 16
// when `full`.
TARGET static inline __attribute__((always_inline)) void widened_tile(
    const int rows, const int from_wide, const float *a, long lda, long pairs, const uint16_t *half,
    const float *wide, const float *low, long rank, const float *low_half, __m256 bias0, __m256 bias1,
    __m256i m0, __m256i m1, int full, const float *res, float *c, long ldc, int gelu) {
    const __m256i top = _mm256_set1_epi32((int)0xFFFF0000u);
    __m256 acc[MR][2];  // (rows, 16 columns)
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        __m256 r0 = _mm256_setzero_ps(), r1 = _mm256_setzero_ps();
        if (res) {
            r0 = full ? _mm256_loadu_ps(res + i * ldc) : _mm256_maskload_ps(res + i * ldc, m0);
            r1 = full ? _mm256_loadu_ps(res + i * ldc + 8) : _mm256_maskload_ps(res + i * ldc + 8, m1);
        }
        acc[i][0] = _mm256_add_ps(bias0, r0);
        acc[i][1] = _mm256_add_ps(bias1, r1);
    }
    for (long kp = 0; kp < pairs; kp++) {
        // Columns 0..7 and 8..15 of the step's odd elements, then of its even ones.
        const uint16_t *w = half + kp * NR * 2;
        __m256 w0, w1;
        if (from_wide) {
            w0 = _mm256_loadu_ps(wide + kp * 32);
            w1 = _mm256_loadu_ps(wide + kp * 32 + 8);
        } else {
            w0 = _mm256_castsi256_ps(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)w), top));
            w1 = _mm256_castsi256_ps(_mm256_and_si256(_mm256_loadu_si256((const __m256i *)(w + 16)), top));
        }
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            const __m256 x1 = _mm256_broadcast_ss(a + i * lda + 2 * kp + 1);
            acc[i][0] = _mm256_fmadd_ps(x1, w0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(x1, w1, acc[i][1]);
        }
        if (from_wide) {
            w0 = _mm256_loadu_ps(wide + kp * 32 + 16);
            w1 = _mm256_loadu_ps(wide + kp * 32 + 24);
        } else {
            // A second load of the pairs (the asm hides that it reads the same lines): keeping them in
            // registers through the loop above would need 17 ymm.
            __asm__("" : "+r"(w));
            w0 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)w), 16));
            w1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_loadu_si256((const __m256i *)(w + 16)), 16));
        }
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            const __m256 x0 = _mm256_broadcast_ss(a + i * lda + 2 * kp);
            acc[i][0] = _mm256_fmadd_ps(x0, w0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(x0, w1, acc[i][1]);
        }
    }
    // The low-rank term: float32 FMAs in k order, as the plain loop's fmaf.
    for (long kk = 0; kk < rank; kk++) {
        const __m256 v0 = _mm256_loadu_ps(low_half + kk * NR), v1 = _mm256_loadu_ps(low_half + kk * NR + 8);
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            const __m256 x = _mm256_broadcast_ss(low + i * rank + kk);
            acc[i][0] = _mm256_fmadd_ps(x, v0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(x, v1, acc[i][1]);
        }
    }
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        store_outputs_avx2(c + i * ldc, acc[i][0], gelu, full, m0);
        store_outputs_avx2(c + i * ldc + 8, acc[i][1], gelu, full, m1);
    }
}

// Per block of at most ROW_BLOCK rows: round them into the scratch, then every half-panel passes over
// them in tiles of 6 rows, the last 1..5 rows of the block in one tile. A block of WIDE_ROWS rows or
// more first widens the half-panel into the scratch after the rows, (pairs, 2, 16) floats.
TARGET void embedtune_bf16_linear_forward_widened_avx2(const float *inp, long m, long k, const uint16_t *packed,
                                                       long n, const float *bias, const float *residual,
                                                       int activation, const float *low, long rank,
                                                       const float *low_packed, float *out, float *scratch) {
    const int gelu = activation == EMBEDTUNE_PACKED_LINEAR_GELU;
    const long pairs = (k + 1) / 2, lda = 2 * pairs, panels = (n + NR - 1) / NR;
    float *a = scratch, *wide = scratch + ROW_BLOCK * lda;  // (ROW_BLOCK, lda), (pairs, 2, 16)
    for (long r0 = 0; r0 < m; r0 += ROW_BLOCK) {
        const long r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;
        const int widen = r1 - r0 >= WIDE_ROWS;
        round_rows(inp + r0 * k, r1 - r0, k, lda, a);  // (r1 - r0, lda)
        for (long p = 0; p < panels; p++) {
            for (int h = 0; h < 2; h++) {
                // Columns col0 ..< col0 + 16 of the output; those from n on are masked.
                const long col0 = p * NR + h * 16;
                if (col0 >= n) break;
                const HalfPanelEdge e = half_panel_edge_avx2(n, col0, bias);
                const uint16_t *half = packed + p * pairs * NR * 2 + h * 32;                    // (pairs, 16, 2)
                const float *lowHalf = low_packed ? low_packed + p * rank * NR + h * 16 : NULL;  // (rank, 16)
                if (widen) widen_half(half, pairs, wide);
#define TILE_FROM(rows, from_wide)                                                                          \
    widened_tile(rows, from_wide, a + (r - r0) * lda, lda, pairs, half, wide, low ? low + r * rank : NULL,     \
                 rank, lowHalf, e.bias0, e.bias1, e.m0, e.m1, e.full, residual ? residual + r * n + col0 : NULL,        \
                 out + r * n + col0, n, gelu)
#define TILE(rows)                                 \
    do {                                           \
        if (widen) TILE_FROM(rows, 1);             \
        else TILE_FROM(rows, 0);                   \
    } while (0)
                long r = r0;
                for (; r + MR <= r1; r += MR) TILE(6);
                switch (r1 - r) {
                case 5: TILE(5); break;
                case 4: TILE(4); break;
                case 3: TILE(3); break;
                case 2: TILE(2); break;
                case 1: TILE(1); break;
                default: break;
                }
#undef TILE
#undef TILE_FROM
            }
        }
    }
}
#endif
