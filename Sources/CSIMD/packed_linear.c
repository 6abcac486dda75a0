// See include/packed_linear.h.
//
// Kernel: 12 rows x 32 columns of `out` in 24 zmm accumulators, started from the bias (plus the
// residual's tile when there is one), passed through GELU before the store when asked. Per k it
// loads the panel's 32 weights (two zmm) and broadcasts one input value per row (folded into the
// fused multiply-add), i.e. 24 FMAs per 2 loads + 12 broadcasts. Loops: blocks of 240 input rows
// (they stay in L2 while every panel passes), then panels (k x 32 weights, L1/L2), then 12-row
// tiles; the last rows of a block go four, then one at a time; the last panel's columns are masked.
// During the first panel each tile prefetches the next tile's input rows into L2. When the packed
// weight is too big to stay in L2 beside the block's rows (over 1 MiB), the last tile of each panel
// prefetches the next panel into L2 instead (+5% on the 384 -> 1536 product with its weight in L3;
// smaller weights stay in L2, and fetching them cost ~1%). Halfway through its k loop
// each tile prefetches the output lines (for writing) and residual lines of the tile after it, so
// neither the stores nor the accumulators' starting loads wait on memory (~+7% on the 384x384 products
// when their buffers are out of cache).
// A low-rank term (LoRA's up-projection) continues each tile's k loop over a second input and a
// second packed weight, so it lands in the same accumulators: no second pass over `out`.
#include "packed_linear.h"
#include "cpu_features.h"
#include "vector_kernels.h"

#include <math.h>
#include <stdint.h>

enum { NR = 32, MR = 12, ROW_BLOCK = EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK };

int embedtune_packed_linear_available(void) {
    return (embedtune_cpu_features() & (EMBEDTUNE_CPU_AVX512 | EMBEDTUNE_CPU_AVX2)) != 0;
}

long embedtune_packed_linear_floats(long n, long k) { return (n + NR - 1) / NR * NR * k; }

// packed[(p * k + kk) * 32 + j] = element (col = p * 32 + j, kk) of the weight, at
// weight[col * colStride + kk * kStride]; zero for col >= n.
static void pack_strided(const float *weight, long n, long k, long colStride, long kStride, float *packed) {
    const long panels = (n + NR - 1) / NR;
    for (long p = 0; p < panels; p++) {
        for (long kk = 0; kk < k; kk++) {
            float *dst = packed + (p * k + kk) * NR;
            for (long j = 0; j < NR; j++) {
                const long col = p * NR + j;
                dst[j] = col < n ? weight[col * colStride + kk * kStride] : 0.0f;
            }
        }
    }
}

void embedtune_packed_linear_pack(const float *weight, long n, long k, float *packed) {
    pack_strided(weight, n, k, k, 1, packed);
}

void embedtune_packed_linear_pack_transposed(const float *weight_t, long n, long k, float *packed) {
    pack_strided(weight_t, n, k, 1, n, packed);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl")))
#include "simd_math.h"
#include "panel_edge.h"

// What a tile's accumulator becomes when stored: itself, or its GELU.
#define ACTIVATE(r) (gelu ? gelu_avx512(r) : (r))

// The starting value of an accumulator: the bias, plus row i of the residual when there is one.
#define START(i, half, bias, mask) \
    (res ? _mm512_add_ps(bias, _mm512_maskz_loadu_ps(mask, res + (i) * ldc + (half) * 16)) : bias)

// 12 rows starting at `a` (row stride k) times one panel, plus `res` (row stride ldc, or NULL), into
// `c` (row stride ldc), columns under masks m0 (0..15) and m1 (16..31). Two cache lines of `next`
// (the next tile's rows, or the next panel: contiguous) are prefetched into L2 per k step, for the
// first `steps` steps.
// From step k/2 on, one line per step of the next tile's output `nextOut` (12 rows of two lines,
// stride ldc; NULL for none) is prefetched for writing, and of its residual `nextRes` (or NULL).
// Then the low-rank term: 12 rows of `a2` (row stride k2) times `panel2` (k2 rows of 32), k2 may be 0.
TARGET static inline void tile_12(const float *a, long k, const float *panel, const float *a2, long k2,
                                  const float *panel2, __m512 bias0, __m512 bias1,
                                  const float *res, float *c, long ldc, __mmask16 m0, __mmask16 m1,
                                  const char *next, long steps, int gelu, const float *nextRes,
                                  const float *nextOut) {
    __m512 c00 = START(0, 0, bias0, m0), c01 = START(0, 1, bias1, m1), c10 = START(1, 0, bias0, m0);
    __m512 c11 = START(1, 1, bias1, m1), c20 = START(2, 0, bias0, m0), c21 = START(2, 1, bias1, m1);
    __m512 c30 = START(3, 0, bias0, m0), c31 = START(3, 1, bias1, m1), c40 = START(4, 0, bias0, m0);
    __m512 c41 = START(4, 1, bias1, m1), c50 = START(5, 0, bias0, m0), c51 = START(5, 1, bias1, m1);
    __m512 c60 = START(6, 0, bias0, m0), c61 = START(6, 1, bias1, m1), c70 = START(7, 0, bias0, m0);
    __m512 c71 = START(7, 1, bias1, m1), c80 = START(8, 0, bias0, m0), c81 = START(8, 1, bias1, m1);
    __m512 c90 = START(9, 0, bias0, m0), c91 = START(9, 1, bias1, m1), ca0 = START(10, 0, bias0, m0);
    __m512 ca1 = START(10, 1, bias1, m1), cb0 = START(11, 0, bias0, m0), cb1 = START(11, 1, bias1, m1);
    // Step kk: the panel's row kk (two zmm) times value kk of each of the 12 rows of src (stride ld).
#define ROW(i, r0, r1, src, ld)                 \
    x = _mm512_set1_ps((src)[(i) * (ld) + kk]); \
    r0 = _mm512_fmadd_ps(x, w0, r0);            \
    r1 = _mm512_fmadd_ps(x, w1, r1);
#define STEP_12(src, ld, weights)                                                                            \
    {                                                                                                        \
        const __m512 w0 = _mm512_loadu_ps((weights) + kk * NR);                                              \
        const __m512 w1 = _mm512_loadu_ps((weights) + kk * NR + 16);                                         \
        __m512 x;                                                                                            \
        ROW(0, c00, c01, src, ld) ROW(1, c10, c11, src, ld) ROW(2, c20, c21, src, ld)                        \
        ROW(3, c30, c31, src, ld) ROW(4, c40, c41, src, ld) ROW(5, c50, c51, src, ld)                        \
        ROW(6, c60, c61, src, ld) ROW(7, c70, c71, src, ld) ROW(8, c80, c81, src, ld)                        \
        ROW(9, c90, c91, src, ld) ROW(10, ca0, ca1, src, ld) ROW(11, cb0, cb1, src, ld)                       \
    }
    for (long kk = 0; kk < k; kk++) {
        if (kk < steps) {
            _mm_prefetch(next + kk * 128, _MM_HINT_T1);
            _mm_prefetch(next + kk * 128 + 64, _MM_HINT_T1);
        }
        const unsigned long line = (unsigned long)(kk - k / 2);  // wraps to huge before k/2
        if (nextOut && line < 2 * MR) {
            const long offset = (long)(line >> 1) * ldc + (long)(line & 1) * 16;
            _mm_prefetch((const char *)(nextOut + offset), _MM_HINT_ET0);
            if (nextRes) _mm_prefetch((const char *)(nextRes + offset), _MM_HINT_T0);
        }
        STEP_12(a, k, panel)
    }
    for (long kk = 0; kk < k2; kk++) STEP_12(a2, k2, panel2)
#undef STEP_12
#undef ROW
#define STORE(i, r0, r1)                                       \
    _mm512_mask_storeu_ps(c + (i) * ldc, m0, ACTIVATE(r0));    \
    _mm512_mask_storeu_ps(c + (i) * ldc + 16, m1, ACTIVATE(r1));
    STORE(0, c00, c01) STORE(1, c10, c11) STORE(2, c20, c21) STORE(3, c30, c31)
    STORE(4, c40, c41) STORE(5, c50, c51) STORE(6, c60, c61) STORE(7, c70, c71)
    STORE(8, c80, c81) STORE(9, c90, c91) STORE(10, ca0, ca1) STORE(11, cb0, cb1)
#undef STORE
}

// 4 rows times one panel (8 accumulator chains): the rows left over after the 12-row tiles.
TARGET static inline void tile_4(const float *a, long k, const float *panel, const float *a2, long k2,
                                 const float *panel2, __m512 bias0, __m512 bias1,
                                 const float *res, float *c, long ldc, __mmask16 m0, __mmask16 m1, int gelu) {
    __m512 c00 = START(0, 0, bias0, m0), c01 = START(0, 1, bias1, m1), c10 = START(1, 0, bias0, m0);
    __m512 c11 = START(1, 1, bias1, m1), c20 = START(2, 0, bias0, m0), c21 = START(2, 1, bias1, m1);
    __m512 c30 = START(3, 0, bias0, m0), c31 = START(3, 1, bias1, m1);
#define ROWS_4(src, stride, weights, steps)                                                               \
    for (long kk = 0; kk < (steps); kk++) {                                                              \
        const __m512 w0 = _mm512_loadu_ps((weights) + kk * NR);                                          \
        const __m512 w1 = _mm512_loadu_ps((weights) + kk * NR + 16);                                     \
        __m512 x;                                                                                        \
        x = _mm512_set1_ps((src)[kk]);                                                                   \
        c00 = _mm512_fmadd_ps(x, w0, c00);                                                               \
        c01 = _mm512_fmadd_ps(x, w1, c01);                                                               \
        x = _mm512_set1_ps((src)[(stride) + kk]);                                                        \
        c10 = _mm512_fmadd_ps(x, w0, c10);                                                               \
        c11 = _mm512_fmadd_ps(x, w1, c11);                                                               \
        x = _mm512_set1_ps((src)[2 * (stride) + kk]);                                                    \
        c20 = _mm512_fmadd_ps(x, w0, c20);                                                               \
        c21 = _mm512_fmadd_ps(x, w1, c21);                                                               \
        x = _mm512_set1_ps((src)[3 * (stride) + kk]);                                                    \
        c30 = _mm512_fmadd_ps(x, w0, c30);                                                               \
        c31 = _mm512_fmadd_ps(x, w1, c31);                                                               \
    }
    ROWS_4(a, k, panel, k)
    ROWS_4(a2, k2, panel2, k2)
#undef ROWS_4
    _mm512_mask_storeu_ps(c, m0, ACTIVATE(c00));
    _mm512_mask_storeu_ps(c + 16, m1, ACTIVATE(c01));
    _mm512_mask_storeu_ps(c + ldc, m0, ACTIVATE(c10));
    _mm512_mask_storeu_ps(c + ldc + 16, m1, ACTIVATE(c11));
    _mm512_mask_storeu_ps(c + 2 * ldc, m0, ACTIVATE(c20));
    _mm512_mask_storeu_ps(c + 2 * ldc + 16, m1, ACTIVATE(c21));
    _mm512_mask_storeu_ps(c + 3 * ldc, m0, ACTIVATE(c30));
    _mm512_mask_storeu_ps(c + 3 * ldc + 16, m1, ACTIVATE(c31));
}

// One row times one panel (the last rows of all). One accumulator chain per half, in k order, like
// the 12- and 4-row tiles: a row's output is the same bits whichever tile computes it, so a document's
// vector does not depend on which rows share its batch.
TARGET static inline void tile_1(const float *a, long k, const float *panel, const float *a2, long k2,
                                 const float *panel2, __m512 bias0, __m512 bias1,
                                 const float *res, float *c, __mmask16 m0, __mmask16 m1, int gelu) {
    const long ldc = 0;
    __m512 r0 = START(0, 0, bias0, m0), r1 = START(0, 1, bias1, m1);
    for (long kk = 0; kk < k; kk++) {
        const __m512 x = _mm512_set1_ps(a[kk]);
        r0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(panel + kk * NR), r0);
        r1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(panel + kk * NR + 16), r1);
    }
    for (long kk = 0; kk < k2; kk++) {
        const __m512 x = _mm512_set1_ps(a2[kk]);
        r0 = _mm512_fmadd_ps(x, _mm512_loadu_ps(panel2 + kk * NR), r0);
        r1 = _mm512_fmadd_ps(x, _mm512_loadu_ps(panel2 + kk * NR + 16), r1);
    }
    _mm512_mask_storeu_ps(c, m0, ACTIVATE(r0));
    _mm512_mask_storeu_ps(c + 16, m1, ACTIVATE(r1));
}

#undef START
#undef ACTIVATE

TARGET static void forward_avx512(const float *inp, long m, long k, const float *packed, long n, const float *bias,
                                  const float *residual, int activation, const float *low, long rank,
                                  const float *low_packed, float *out) {
    const int gelu = activation == EMBEDTUNE_PACKED_LINEAR_GELU;
    const long panels = (n + NR - 1) / NR;
    const int streamWeights = panels * k * NR * (long)sizeof(float) > (1L << 20);
    for (long r0 = 0; r0 < m; r0 += ROW_BLOCK) {
        const long r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;
        for (long p = 0; p < panels; p++) {
            const PanelEdge edge = panel_edge(n, p, bias);
            const __mmask16 m0 = edge.m0, m1 = edge.m1;
            const __m512 bias0 = edge.bias0, bias1 = edge.bias1;
            const float *panel = packed + p * k * NR;
            const float *panel2 = low_packed ? low_packed + p * rank * NR : NULL;
            long r = r0;
#define LOW(row) (low ? low + (row) * rank : NULL)
#define RES(row) (residual ? residual + (row) * n + p * NR : NULL)
            for (; r + MR <= r1; r += MR) {
                // The first panel is the first to read the block's rows (from L3 or memory): fetch
                // the next tile's rows while this one computes. Later panels find them in L2.
                const long nextRows = r1 - r - MR < MR ? r1 - r - MR : MR;
                const char *next = (const char *)(inp + (r + MR) * k);
                long steps = p == 0 && nextRows > 0 ? (nextRows * k * (long)sizeof(float) + 127) / 128 : 0;
                if (streamWeights && r + 2 * MR > r1 && p + 1 < panels) {
                    next = (const char *)(panel + k * NR);  // k rows of 32 floats: two lines each
                    steps = k;
                }
                // The tile after this one: the next 12 rows of this panel, else the block's first 12
                // rows of the next panel (none after the last panel or when the block is short).
                long nr = r + MR, np = p;
                if (nr + MR > r1) { nr = r0; np = p + 1; }
                const int hasNext = np < panels && nr + MR <= r1;
                tile_12(inp + r * k, k, panel, LOW(r), rank, panel2, bias0, bias1, RES(r), out + r * n + p * NR, n, m0, m1,
                        next, steps < k ? steps : k, gelu,
                        hasNext && residual ? residual + nr * n + np * NR : NULL,
                        hasNext ? out + nr * n + np * NR : NULL);
            }
            for (; r + 4 <= r1; r += 4)
                tile_4(inp + r * k, k, panel, LOW(r), rank, panel2, bias0, bias1, RES(r), out + r * n + p * NR, n, m0,
                       m1, gelu);
            for (; r < r1; r++)
                tile_1(inp + r * k, k, panel, LOW(r), rank, panel2, bias0, bias1, RES(r), out + r * n + p * NR, m0, m1,
                       gelu);
#undef LOW
#undef RES
        }
    }
}

// The AVX2 + FMA spelling of the same product (16 ymm registers instead of 32 zmm): a tile is 6 rows
// times one half of a panel (16 columns) in 12 ymm accumulators; per k it loads the half-panel's 16
// weights (two ymm, one cache line) and broadcasts one input value per row, i.e. 12 FMAs per 2 loads
// + 6 broadcasts. Each output is the same chain as in the AVX-512 kernel (bias plus residual, then
// one FMA per k in order, then the low-rank term's, then GELU: gelu_avx2), so both give the same bits
// (tested), and a row's output does not depend on which rows share its call. The loops are the
// AVX-512 kernel's: blocks of 240 rows, panels, then tiles of 6 rows (each half of the panel in turn,
// the second reading the rows again from L1), the last rows one at a time.
#define TARGET2 __attribute__((target("avx2,fma")))

// `rows` (1..6, a constant where inlined) rows from `a` (stride k) times half a panel (`panel` points at
// its first column; 16 columns of the output, lanes m0 and m1 of them real, all when `full`), plus the
// low-rank term (rows of `a2`, stride k2, times `panel2`), into `c` (stride ldc).
TARGET2 static inline __attribute__((always_inline)) void tile_avx2(int rows, const float *a, long k, const float *panel, const float *a2, long k2,
                                     const float *panel2, __m256 bias0, __m256 bias1, __m256i m0, __m256i m1,
                                     int full, const float *res, float *c, long ldc, int gelu) {
    __m256 acc[6][2];
    for (int i = 0; i < rows; i++) {
        acc[i][0] = bias0;
        acc[i][1] = bias1;
        if (res) {
            acc[i][0] = _mm256_add_ps(bias0, _mm256_maskload_ps(res + i * ldc, m0));
            acc[i][1] = _mm256_add_ps(bias1, _mm256_maskload_ps(res + i * ldc + 8, m1));
        }
    }
    // Steps 0 ..< steps: row kk of `weights` (16 columns) times value kk of each row of src (stride ld).
#define STEPS_AVX2(src, ld, weights, steps)                                                               \
    for (long kk = 0; kk < (steps); kk++) {                                                              \
        const __m256 w0 = _mm256_loadu_ps((weights) + kk * NR), w1 = _mm256_loadu_ps((weights) + kk * NR + 8); \
        for (int i = 0; i < rows; i++) {                                                                 \
            const __m256 x = _mm256_broadcast_ss((src) + i * (ld) + kk);                                 \
            acc[i][0] = _mm256_fmadd_ps(x, w0, acc[i][0]);                                               \
            acc[i][1] = _mm256_fmadd_ps(x, w1, acc[i][1]);                                               \
        }                                                                                                \
    }
    STEPS_AVX2(a, k, panel, k)
    STEPS_AVX2(a2, k2, panel2, k2)
#undef STEPS_AVX2
    for (int i = 0; i < rows; i++) {
        store_outputs_avx2(c + i * ldc, acc[i][0], gelu, full, m0);
        store_outputs_avx2(c + i * ldc + 8, acc[i][1], gelu, full, m1);
    }
}

enum { MR2 = 6 };

TARGET2 static void forward_avx2(const float *inp, long m, long k, const float *packed, long n, const float *bias,
                                 const float *residual, int activation, const float *low, long rank,
                                 const float *low_packed, float *out) {
    const int gelu = activation == EMBEDTUNE_PACKED_LINEAR_GELU;
    const long panels = (n + NR - 1) / NR;
    for (long r0 = 0; r0 < m; r0 += ROW_BLOCK) {
        const long r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;
        for (long p = 0; p < panels; p++) {
            for (int h = 0; h < 2; h++) {
                const long col0 = p * NR + h * 16;
                if (col0 >= n) break;
                const HalfPanelEdge e = half_panel_edge_avx2(n, col0, bias);
                const float *panel = packed + p * k * NR + h * 16;
                const float *panel2 = low_packed ? low_packed + p * rank * NR + h * 16 : NULL;
                long r = r0;
#define LOW(row) (low ? low + (row) * rank : NULL)
#define RES(row) (residual ? residual + (row) * n + col0 : NULL)
                for (; r + MR2 <= r1; r += MR2)
                    tile_avx2(MR2, inp + r * k, k, panel, LOW(r), rank, panel2, e.bias0, e.bias1, e.m0, e.m1, e.full, RES(r),
                                out + r * n + col0, n, gelu);
                for (; r < r1; r++)
                    tile_avx2(1, inp + r * k, k, panel, LOW(r), rank, panel2, e.bias0, e.bias1, e.m0, e.m1, e.full, RES(r),
                                out + r * n + col0, n, gelu);
#undef LOW
#undef RES
            }
        }
    }
}
#endif

void embedtune_packed_linear_forward(const float *inp, long m, long k, const float *packed, long n,
                                     const float *bias, const float *residual, int activation, float *out) {
    embedtune_packed_linear_forward_low_rank(inp, m, k, packed, n, bias, residual, activation, NULL, 0, NULL, out);
}

void embedtune_packed_linear_forward_low_rank(const float *inp, long m, long k, const float *packed, long n,
                                              const float *bias, const float *residual, int activation,
                                              const float *low, long rank, const float *low_packed, float *out) {
    embedtune_packed_linear_forward_low_rank_on(embedtune_cpu_features(), inp, m, k, packed, n, bias, residual,
                                                activation, low, rank, low_packed, out);
}

void embedtune_packed_linear_forward_low_rank_on(int cpu, const float *inp, long m, long k, const float *packed,
                                                 long n, const float *bias, const float *residual, int activation,
                                                 const float *low, long rank, const float *low_packed, float *out) {
    if (!low || !low_packed) rank = 0;
    if (rank == 0) low = low_packed = NULL;
#if defined(__x86_64__)
    cpu &= embedtune_cpu_detected();
    if (cpu & EMBEDTUNE_CPU_AVX512) {
        forward_avx512(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out);
        return;
    }
    if (cpu & EMBEDTUNE_CPU_AVX2) {
        forward_avx2(inp, m, k, packed, n, bias, residual, activation, low, rank, low_packed, out);
        return;
    }
#else
    (void)cpu;
#endif
    // The portable path: one output at a time, the same chain as the kernels' accumulators (bias plus
    // residual, then one fused multiply-add per k in order, then the low-rank term's), so the same bits.
    for (long r = 0; r < m; r++) {
        for (long col = 0; col < n; col++) {
            const float *panel = packed + (col / NR) * k * NR + col % NR;
            float s = bias ? bias[col] : 0.0f;
            if (residual) s = s + residual[r * n + col];
            for (long kk = 0; kk < k; kk++) s = fmaf(inp[r * k + kk], panel[kk * NR], s);
            if (rank > 0) {
                const float *panel2 = low_packed + (col / NR) * rank * NR + col % NR;
                for (long kk = 0; kk < rank; kk++) s = fmaf(low[r * rank + kk], panel2[kk * NR], s);
            }
            out[r * n + col] = s;
        }
        if (activation == EMBEDTUNE_PACKED_LINEAR_GELU) embedtune_gelu_reference_forward(out + r * n, n, out + r * n);
    }
}
