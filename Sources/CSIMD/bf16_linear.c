// See include/bf16_linear.h.
//
// Four kernels on one packed layout (bf16 pairs of k, 32 columns per panel), the same sums in the same
// order, so the same bits (products of two bf16 are exact in float32; the order is VDPBF16PS's per
// lane, Intel SDM: the odd element's product is added, then the even one's):
// - dot (AVX512-BF16, where VDPBF16PS is fast): 12 rows x 32 columns of `out` in 24 zmm accumulators
//   started from the bias (plus the residual's tile), like packed_linear.c's float32 kernel, but each
//   step takes a pair of k: per pair it loads the panel's 2 x 16 column pairs (two zmm of bf16) and
//   broadcasts one row's pair (32 bits) per row into VDPBF16PS, i.e. 24 instructions of 32
//   multiply-adds each per 2 loads + 12 broadcasts — twice the float32 kernel's multiply-adds per
//   instruction. A block of at most 240 input rows is converted to bf16 (VCVTNE2PS2BF16, round to
//   nearest even) into the caller's scratch first, where it stays in L2 while every panel passes.
// - widened (AVX-512 F, and AVX512-BF16 CPUs whose VDPBF16PS is slower than two float32 FMAs,
//   cpu_features.h): the same tile, the panel's pairs widened to float32 in registers (a shift for the
//   even element, a mask for the odd), the row block rounded to bf16 but kept as float32 in the
//   scratch, so each row's values are broadcast operands of plain FMAs: 48 FMAs per pair, 4 widening
//   operations, no conversion in the loop. Half the weight memory of float32 at about its speed.
// - widened AVX2 (AVX2 + FMA without AVX-512; bf16_linear_avx2.c): the widened kernel in ymm, tiles of
//   6 rows x half a panel in 12 accumulators, like packed_linear.c's AVX2 kernel; blocks of 18 rows or
//   more widen each half-panel once into the scratch instead of in every tile.
// - plain C (compiled for AVX2 + FMA and the baseline): one row times one panel at a time.
// They differ only where VDPBF16PS flushes denormals to zero, where a product of two bf16 is not exact
// in float32 (it overflows, or falls among the denormals: the plain loop rounds it, an FMA does not),
// and in which NaN's payload and sign survive where two NaNs meet in one sum.
// A low-rank term in float32 (LoRA's up-projection, packed like packed_linear.c's weights) continues
// each tile's loop with float32 FMAs after the pairs, in the same accumulators: no second pass over
// `out`; the plain kernel fuses its multiply-adds too (fmaf), so the bits stay the same.
#include "bf16_linear.h"
#include "bf16_linear_avx2.h"
#include "cpu_features.h"
#include "packed_linear.h"
#include "vector_kernels.h"

#include <math.h>
#include <string.h>

#pragma clang fp contract(off)

enum { NR = 32, MR = 12, ROW_BLOCK = EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK };

static long pairs_of(long k) { return (k + 1) / 2; }

uint16_t embedtune_bf16_from_float(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u) return (uint16_t)((u >> 16) | 0x40u);  // NaN: keep it, quiet
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float float_from_bf16(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

long embedtune_bf16_linear_elements(long n, long k) { return (n + NR - 1) / NR * NR * 2 * pairs_of(k); }

// The widened kernels keep the rounded rows as float32, the others as bf16: room for the former, and
// for the AVX2 one's half-panel widened to float32 (2 * pairs rows of 16).
long embedtune_bf16_linear_scratch_bytes(long k) {
    return (ROW_BLOCK + 16) * 2 * pairs_of(k) * (long)sizeof(float);
}

void embedtune_bf16_linear_pack(const float *weight, long n, long k, uint16_t *packed) {
    const long panels = (n + NR - 1) / NR, pairs = pairs_of(k);
    for (long p = 0; p < panels; p++)
        for (long kp = 0; kp < pairs; kp++)
            for (long j = 0; j < NR; j++)
                for (long e = 0; e < 2; e++) {
                    const long col = p * NR + j, kk = 2 * kp + e;
                    packed[((p * pairs + kp) * NR + j) * 2 + e] =
                        col < n && kk < k ? embedtune_bf16_from_float(weight[col * k + kk]) : 0;
                }
}

// ---- Plain C: rows (rows, k) -> bf16 (rows, 2 * pairs), then one row times one panel at a time.

static inline __attribute__((always_inline)) void forward_plain_body(
    const float *inp, long m, long k, const uint16_t *packed, long n, const float *bias, const float *residual,
    int activation, const float *low, long rank, const float *low_packed, float *out, uint16_t *a) {
    const long pairs = pairs_of(k), lda = 2 * pairs, panels = (n + NR - 1) / NR;
    for (long r = 0; r < m; r++) {
        for (long kk = 0; kk < lda; kk++) a[kk] = kk < k ? embedtune_bf16_from_float(inp[r * k + kk]) : 0;
        for (long p = 0; p < panels; p++) {
            float acc[NR];
            for (long j = 0; j < NR; j++) {
                const long col = p * NR + j < n ? p * NR + j : n - 1;
                acc[j] = (bias ? bias[col] : 0.0f) + (residual ? residual[r * n + col] : 0.0f);
            }
            const uint16_t *panel = packed + p * pairs * NR * 2;
            for (long kp = 0; kp < pairs; kp++) {
                const float x0 = float_from_bf16(a[2 * kp]), x1 = float_from_bf16(a[2 * kp + 1]);
                const uint16_t *w = panel + kp * NR * 2;
                for (long j = 0; j < NR; j++) {
                    acc[j] = acc[j] + x1 * float_from_bf16(w[2 * j + 1]);
                    acc[j] = acc[j] + x0 * float_from_bf16(w[2 * j]);
                }
            }
            for (long kk = 0; kk < rank; kk++) {
                const float x = low[r * rank + kk];
                const float *w = low_packed + (p * rank + kk) * NR;
                for (long j = 0; j < NR; j++) acc[j] = fmaf(x, w[j], acc[j]);
            }
            for (long j = 0; j < NR && p * NR + j < n; j++) out[r * n + p * NR + j] = acc[j];
        }
        if (activation == EMBEDTUNE_PACKED_LINEAR_GELU) embedtune_gelu_reference_forward(out + r * n, n, out + r * n);
    }
}

static void forward_plain(const float *inp, long m, long k, const uint16_t *packed, long n, const float *bias,
                          const float *residual, int activation, const float *low, long rank, const float *low_packed,
                          float *out, uint16_t *a) {
    forward_plain_body(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out, a);
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static void forward_plain_avx2(
    const float *inp, long m, long k, const uint16_t *packed, long n, const float *bias, const float *residual,
    int activation, const float *low, long rank, const float *low_packed, float *out, uint16_t *a) {
    forward_plain_body(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out, a);
}

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))
#include "simd_math.h"
#include "panel_edge.h"

// Rows (rows, k) of floats -> (rows, lda) bf16, lda = k rounded up to even, the pad zero.
TARGET static void convert_rows(const float *inp, long rows, long k, long lda, uint16_t *a) {
    for (long i = 0; i < rows; i++) {
        const float *x = inp + i * k;
        uint16_t *d = a + i * lda;
        for (long kk = 0; kk < lda; kk += 32) {
            const long left = k - kk, stored = lda - kk < 32 ? lda - kk : 32;
            const __mmask16 lo = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1);
            const __mmask16 hi = (__mmask16)(left >= 32 ? 0xFFFF : left <= 16 ? 0 : (1u << (left - 16)) - 1);
            const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, x + kk + 16), _mm512_maskz_loadu_ps(lo, x + kk));
            const __mmask32 keep = stored >= 32 ? 0xFFFFFFFFu : (1u << stored) - 1;
            _mm512_mask_storeu_epi16(d + kk, keep, (__m512i)v);
        }
    }
}

// The low-rank term of a tile: `rows` rows of `low` (row stride rank) times `low_panel` (rank rows of
// 32 floats), float32 FMAs into acc0 / acc1, in the order of the plain kernel's fmaf.
#define LOW_RANK_STEPS(rows, low, rank, low_panel)                                            \
    for (long kk = 0; kk < (rank); kk++) {                                                    \
        const __m512 v0 = _mm512_loadu_ps((low_panel) + kk * NR);                             \
        const __m512 v1 = _mm512_loadu_ps((low_panel) + kk * NR + 16);                        \
        _Pragma("clang loop unroll(full)") for (int i = 0; i < (rows); i++) {                 \
            const __m512 x = _mm512_set1_ps((low)[i * (rank) + kk]);                          \
            acc0[i] = _mm512_fmadd_ps(x, v0, acc0[i]);                                        \
            acc1[i] = _mm512_fmadd_ps(x, v1, acc1[i]);                                        \
        }                                                                                     \
    }

// ROWS (12, 4 or 1) rows of bf16 pairs starting at `a` (row stride lda) times one panel, plus `res`
// (row stride ldc, or NULL), into `c` (row stride ldc), columns under masks m0 (0..15) and m1 (16..31);
// then the low-rank term: `rows` rows of `low` (row stride rank; rank may be 0) times `low_panel`.
TARGET static inline __attribute__((always_inline)) void tile(
    const int rows, const uint16_t *a, long lda, long pairs, const uint16_t *panel, const float *low, long rank,
    const float *low_panel, PanelEdge e, const float *res, float *c, long ldc, int gelu) {
    const __mmask16 m0 = e.m0, m1 = e.m1;
    const __m512 bias0 = e.bias0, bias1 = e.bias1;
    __m512 acc0[MR], acc1[MR];
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        acc0[i] = res ? _mm512_add_ps(bias0, _mm512_maskz_loadu_ps(m0, res + i * ldc)) : bias0;
        acc1[i] = res ? _mm512_add_ps(bias1, _mm512_maskz_loadu_ps(m1, res + i * ldc + 16)) : bias1;
    }
    for (long kp = 0; kp < pairs; kp++) {
        const __m512bh w0 = (__m512bh)_mm512_loadu_si512(panel + kp * NR * 2);
        const __m512bh w1 = (__m512bh)_mm512_loadu_si512(panel + kp * NR * 2 + 32);
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            int32_t pair;
            memcpy(&pair, a + i * lda + 2 * kp, sizeof pair);
            const __m512bh x = (__m512bh)_mm512_set1_epi32(pair);
            acc0[i] = _mm512_dpbf16_ps(acc0[i], x, w0);
            acc1[i] = _mm512_dpbf16_ps(acc1[i], x, w1);
        }
    }
    LOW_RANK_STEPS(rows, low, rank, low_panel)
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        _mm512_mask_storeu_ps(c + i * ldc, m0, gelu ? gelu_avx512(acc0[i]) : acc0[i]);
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, gelu ? gelu_avx512(acc1[i]) : acc1[i]);
    }
}

// The driver of both AVX-512 kernels, NAME(inp, m, k, packed, n, bias, residual, activation, low, rank,
// low_packed, out, a): per block of at most ROW_BLOCK rows, CONVERT them into the scratch `a` (ELEMENT,
// lda per row), then every panel passes over them, TILE_FN(rows, ...) per 12, 4 or 1 rows.
// Rows from row r on of the low-rank input and of the residual's panel, or NULL.
#define LOW_ROWS(r) (low ? low + (r) * rank : NULL)
#define RES_ROWS(r) (res ? res + (r) * n : NULL)
#define EMBEDTUNE_BF16_FORWARD(NAME, ELEMENT, CONVERT, TILE_FN)                                                  \
    TARGET static void NAME(const float *inp, long m, long k, const uint16_t *packed, long n, const float *bias,   \
                            const float *residual, int activation, const float *low, long rank,                    \
                            const float *low_packed, float *out, ELEMENT *a) {                                     \
        const int gelu = activation == EMBEDTUNE_PACKED_LINEAR_GELU;                                               \
        const long pairs = pairs_of(k), lda = 2 * pairs, panels = (n + NR - 1) / NR;                                \
        for (long r0 = 0; r0 < m; r0 += ROW_BLOCK) {                                                               \
            const long r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;                                               \
            CONVERT(inp + r0 * k, r1 - r0, k, lda, a);                                                             \
            for (long p = 0; p < panels; p++) {                                                                    \
                const PanelEdge edge = panel_edge(n, p, bias);                                                     \
                const uint16_t *panel = packed + p * pairs * NR * 2;                                               \
                const float *res = residual ? residual + p * NR : NULL;                                            \
                const float *lowPanel = low_packed ? low_packed + p * rank * NR : NULL;                            \
                float *c = out + p * NR;                                                                           \
                long r = r0;                                                                                       \
                for (; r + 12 <= r1; r += 12)                                                                      \
                    TILE_FN(12, a + (r - r0) * lda, lda, pairs, panel, LOW_ROWS(r), rank, lowPanel, edge,          \
                            RES_ROWS(r), c + r * n, n, gelu);                                                      \
                for (; r + 4 <= r1; r += 4)                                                                        \
                    TILE_FN(4, a + (r - r0) * lda, lda, pairs, panel, LOW_ROWS(r), rank, lowPanel, edge,           \
                            RES_ROWS(r), c + r * n, n, gelu);                                                      \
                for (; r < r1; r++)                                                                                \
                    TILE_FN(1, a + (r - r0) * lda, lda, pairs, panel, LOW_ROWS(r), rank, lowPanel, edge,           \
                            RES_ROWS(r), c + r * n, n, gelu);                                                      \
            }                                                                                                      \
        }                                                                                                          \
    }

EMBEDTUNE_BF16_FORWARD(forward_bf16, uint16_t, convert_rows, tile)
#undef TARGET

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))

// Rows (rows, k) of floats -> (rows, lda) floats holding their bf16 roundings (to nearest even, NaN
// kept and quieted, as embedtune_bf16_from_float), lda = k rounded up to even, the pad zero.
TARGET static void round_rows(const float *inp, long rows, long k, long lda, float *a) {
    const __m512i half = _mm512_set1_epi32(0x7FFF), one = _mm512_set1_epi32(1);
    const __m512i top = _mm512_set1_epi32((int)0xFFFF0000u), quiet = _mm512_set1_epi32(0x00400000);
    const __m512i magnitude = _mm512_set1_epi32(0x7FFFFFFF), infinity = _mm512_set1_epi32(0x7F800000);
    for (long i = 0; i < rows; i++) {
        const float *x = inp + i * k;
        float *d = a + i * lda;
        for (long kk = 0; kk < lda; kk += 16) {
            const long left = k - kk, stored = lda - kk < 16 ? lda - kk : 16;
            const __mmask16 load = (__mmask16)(left >= 16 ? 0xFFFF : left <= 0 ? 0 : (1u << left) - 1);
            const __mmask16 keep = (__mmask16)(stored >= 16 ? 0xFFFF : (1u << stored) - 1);
            const __m512i u = _mm512_castps_si512(_mm512_maskz_loadu_ps(load, x + kk));
            const __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), one);
            const __m512i rounded = _mm512_and_si512(_mm512_add_epi32(u, _mm512_add_epi32(half, lsb)), top);
            const __mmask16 nan = _mm512_cmpgt_epu32_mask(_mm512_and_si512(u, magnitude), infinity);
            const __m512i v = _mm512_mask_mov_epi32(rounded, nan, _mm512_and_si512(_mm512_or_si512(u, quiet), top));
            _mm512_mask_storeu_ps(d + kk, keep, _mm512_castsi512_ps(v));
        }
    }
}

// ROWS (12, 4 or 1) rows of rounded floats starting at `a` (row stride lda) times one panel, the
// panel's bf16 pairs widened in registers; otherwise as tile() above.
TARGET static inline __attribute__((always_inline)) void widened_tile(
    const int rows, const float *a, long lda, long pairs, const uint16_t *panel, const float *low, long rank,
    const float *low_panel, PanelEdge e, const float *res, float *c, long ldc, int gelu) {
    const __mmask16 m0 = e.m0, m1 = e.m1;
    const __m512i top = _mm512_set1_epi32((int)0xFFFF0000u);
    __m512 acc0[MR], acc1[MR];
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        acc0[i] = res ? _mm512_add_ps(e.bias0, _mm512_maskz_loadu_ps(m0, res + i * ldc)) : e.bias0;
        acc1[i] = res ? _mm512_add_ps(e.bias1, _mm512_maskz_loadu_ps(m1, res + i * ldc + 16)) : e.bias1;
    }
    for (long kp = 0; kp < pairs; kp++) {
        const __m512i p0 = _mm512_loadu_si512(panel + kp * NR * 2);
        const __m512i p1 = _mm512_loadu_si512(panel + kp * NR * 2 + 32);
        const __m512 even0 = _mm512_castsi512_ps(_mm512_slli_epi32(p0, 16));
        const __m512 odd0 = _mm512_castsi512_ps(_mm512_and_si512(p0, top));
        const __m512 even1 = _mm512_castsi512_ps(_mm512_slli_epi32(p1, 16));
        const __m512 odd1 = _mm512_castsi512_ps(_mm512_and_si512(p1, top));
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            const __m512 x1 = _mm512_set1_ps(a[i * lda + 2 * kp + 1]);
            acc0[i] = _mm512_fmadd_ps(x1, odd0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x1, odd1, acc1[i]);
            const __m512 x0 = _mm512_set1_ps(a[i * lda + 2 * kp]);
            acc0[i] = _mm512_fmadd_ps(x0, even0, acc0[i]);
            acc1[i] = _mm512_fmadd_ps(x0, even1, acc1[i]);
        }
    }
    LOW_RANK_STEPS(rows, low, rank, low_panel)
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        _mm512_mask_storeu_ps(c + i * ldc, m0, gelu ? gelu_avx512(acc0[i]) : acc0[i]);
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, gelu ? gelu_avx512(acc1[i]) : acc1[i]);
    }
}

EMBEDTUNE_BF16_FORWARD(forward_widened, float, round_rows, widened_tile)
#undef LOW_ROWS
#undef RES_ROWS
#undef LOW_RANK_STEPS
#undef TARGET
#endif

int embedtune_bf16_linear_kernel(void) {
#if defined(__x86_64__)
    const int features = embedtune_cpu_features();
    if ((features & EMBEDTUNE_CPU_AVX512_BF16) && embedtune_cpu_bf16_dot_is_fast()) return EMBEDTUNE_BF16_DOT;
    if (features & EMBEDTUNE_CPU_AVX512) return EMBEDTUNE_BF16_WIDENED;
    if (features & EMBEDTUNE_CPU_AVX2) return EMBEDTUNE_BF16_WIDENED_AVX2;
#endif
    return EMBEDTUNE_BF16_PLAIN;
}

int embedtune_bf16_linear_forward_with(int kernel, const float *inp, long m, long k, const uint16_t *packed, long n,
                                       const float *bias, const float *residual, int activation, float *out,
                                       void *scratch) {
    return embedtune_bf16_linear_forward_low_rank_with(kernel, inp, m, k, packed, n, bias, residual, activation, NULL,
                                                       0, NULL, out, scratch);
}

int embedtune_bf16_linear_forward_low_rank_with(int kernel, const float *inp, long m, long k, const uint16_t *packed,
                                                long n, const float *bias, const float *residual, int activation,
                                                const float *low, long rank, const float *low_packed, float *out,
                                                void *scratch) {
    if (!low || !low_packed || rank <= 0) {
        low = low_packed = NULL;
        rank = 0;
    }
#if defined(__x86_64__)
    const int detected = embedtune_cpu_detected();
    switch (kernel) {
    case EMBEDTUNE_BF16_DOT:
        if (!(detected & EMBEDTUNE_CPU_AVX512_BF16)) return 0;
        forward_bf16(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out, (uint16_t *)scratch);
        return 1;
    case EMBEDTUNE_BF16_WIDENED:
        if (!(detected & EMBEDTUNE_CPU_AVX512)) return 0;
        forward_widened(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out, (float *)scratch);
        return 1;
    case EMBEDTUNE_BF16_WIDENED_AVX2:
        if (!(detected & EMBEDTUNE_CPU_AVX2)) return 0;
        embedtune_bf16_linear_forward_widened_avx2(inp, m, k, packed, n, bias, residual, activation, low, rank,
                                                   low_packed, out, (float *)scratch);
        return 1;
    case EMBEDTUNE_BF16_PLAIN_AVX2:
        if (!(detected & EMBEDTUNE_CPU_AVX2)) return 0;
        forward_plain_avx2(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out,
                           (uint16_t *)scratch);
        return 1;
    default:
        break;
    }
#endif
    if (kernel != EMBEDTUNE_BF16_PLAIN) return 0;
    forward_plain(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out, (uint16_t *)scratch);
    return 1;
}

void embedtune_bf16_linear_forward(const float *inp, long m, long k, const uint16_t *packed, long n,
                                   const float *bias, const float *residual, int activation, float *out,
                                   void *scratch) {
    embedtune_bf16_linear_forward_low_rank(inp, m, k, packed, n, bias, residual, activation, NULL, 0, NULL, out,
                                           scratch);
}

void embedtune_bf16_linear_forward_low_rank(const float *inp, long m, long k, const uint16_t *packed, long n,
                                            const float *bias, const float *residual, int activation,
                                            const float *low, long rank, const float *low_packed, float *out,
                                            void *scratch) {
    embedtune_bf16_linear_forward_low_rank_with(embedtune_bf16_linear_kernel(), inp, m, k, packed, n, bias, residual,
                                                activation, low, rank, low_packed, out, scratch);
}
