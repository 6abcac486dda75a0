// See include/int8_linear.h.
//
// Fast path (AVX-512 VNNI): 12 rows x 32 columns of int32 sums in 24 zmm accumulators; per quad of k
// it loads the panel's 2 x 16 column quads (two zmm of int8) and broadcasts one row's 4 unsigned
// bytes per row into VPDPBUSD, i.e. 24 instructions of 64 multiply-adds each per 2 loads + 12
// broadcasts — four times the float32 kernel's multiply-adds per instruction. A block of at most 240
// input rows is quantised into the caller's scratch first (it stays in L2 while every panel passes).
// The store turns the sums into floats: v = float(sum - z sums[c]); v = v * (sx sw[c]); then for each
// of the row's outliers v = fma(r, w'[i, c], v); v = v + bias; v = v + residual; then the activation —
// the same operations, in the same order, on every path.
// Sums never overflow: 255 * 127 * k < 2^31 for k < 66,000.
#include "int8_linear.h"
#include "cpu_features.h"
#include "packed_linear.h"
#include "vector_kernels.h"

#include <math.h>

#pragma clang fp contract(off)

enum { NR = 32, MR = 12, ROW_BLOCK = EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK, OUTLIERS = EMBEDTUNE_INT8_LINEAR_OUTLIERS };

static long quads_of(long k) { return (k + 3) / 4; }

static long padded_columns(long n) { return (n + NR - 1) / NR * NR; }

long embedtune_int8_linear_bytes(long n, long k) { return padded_columns(n) * 4 * quads_of(k); }

long embedtune_int8_linear_outlier_weights_count(long n, long k) { return k * padded_columns(n); }

long embedtune_int8_linear_scratch_bytes(long k) {
    const long perRow = 4 * quads_of(k) + (long)sizeof(float) + (long)sizeof(int32_t) +
                        OUTLIERS * (long)(sizeof(int32_t) + sizeof(float));
    return ROW_BLOCK * perRow + 4 * quads_of(k) * (long)sizeof(float);
}

void embedtune_int8_linear_pack(const float *weight, long n, long k, int8_t *packed, float *scales, int32_t *sums,
                                float *smooth, float *outlier_weights) {
    const long panels = (n + NR - 1) / NR, quads = quads_of(k), np = padded_columns(n);
    // Smoothing: t_j = sqrt(max_c |w[c, j]| / mean_j max_c |w[c, j]|); the weight becomes w / t.
    double total = 0.0;
    for (long kk = 0; kk < k; kk++) {
        float largest = 0.0f;
        for (long col = 0; col < n; col++) largest = fmaxf(largest, fabsf(weight[col * k + kk]));
        smooth[kk] = largest;
        total += largest;
    }
    const float mean = (float)(total / (double)k);
    for (long kk = 0; kk < k; kk++) smooth[kk] = smooth[kk] > 0.0f && mean > 0.0f ? sqrtf(smooth[kk] / mean) : 1.0f;
    for (long kk = 0; kk < k; kk++)
        for (long col = 0; col < np; col++)
            outlier_weights[kk * np + col] = col < n ? weight[col * k + kk] / smooth[kk] : 0.0f;
    for (long col = 0; col < n; col++) {
        float largest = 0.0f;
        for (long kk = 0; kk < k; kk++) largest = fmaxf(largest, fabsf(outlier_weights[kk * np + col]));
        scales[col] = largest / 127.0f;
    }
    for (long p = 0; p < panels; p++)
        for (long kq = 0; kq < quads; kq++)
            for (long j = 0; j < NR; j++)
                for (long e = 0; e < 4; e++) {
                    const long col = p * NR + j, kk = 4 * kq + e;
                    float q = 0.0f;
                    if (col < n && kk < k && scales[col] > 0.0f) q = roundf(outlier_weights[kk * np + col] / scales[col]);
                    packed[((p * quads + kq) * NR + j) * 4 + e] = (int8_t)fmaxf(-127.0f, fminf(127.0f, q));
                }
    for (long col = 0; col < n; col++) {
        int32_t s = 0;
        const long p = col / NR, j = col % NR;
        for (long kq = 0; kq < quads; kq++)
            for (long e = 0; e < 4; e++) s += packed[((p * quads + kq) * NR + j) * 4 + e];
        sums[col] = s;
    }
}

// A row's scale and zero point from its range [lo, hi] (lo <= 0 <= hi): x ~ scale (u - z), u in 0...255.
// NaN scale for a row holding NaN or infinity, zero scale (all u = z = 0) for a row of zeros.
static inline void row_scale(float lo, float hi, int bad, float *scale, float *inv, int32_t *zero) {
    if (bad) {
        *scale = NAN;
        *inv = 0.0f;
        *zero = 0;
    } else if (hi - lo > 0.0f) {
        *scale = (hi - lo) / 255.0f;
        *inv = 255.0f / (hi - lo);
        *zero = (int32_t)nearbyintf(-lo * *inv);
    } else {
        *scale = 0.0f;
        *inv = 0.0f;
        *zero = 0;
    }
}

// Where a block's quantised rows (rows, lda), scales (rows), zero points (rows), outliers (rows,
// OUTLIERS: input index and residual) and one smoothed input row (lda floats) lie in the scratch.
typedef struct {
    uint8_t *u;
    float *scale;
    int32_t *zero;
    int32_t *outlier;
    float *residual;
    float *smoothed;
} Block;

static Block block_in(void *scratch, long lda) {
    uint8_t *u = (uint8_t *)scratch;
    float *scale = (float *)(u + ROW_BLOCK * lda);
    int32_t *zero = (int32_t *)(scale + ROW_BLOCK);
    int32_t *outlier = zero + ROW_BLOCK;
    float *residual = (float *)(outlier + ROW_BLOCK * OUTLIERS);
    return (Block){u, scale, zero, outlier, residual, residual + ROW_BLOCK * OUTLIERS};
}

// The OUTLIERS + 1 largest magnitudes of a smoothed row, found in one pass in index order. `bound`
// starts at the (OUTLIERS + 1)-th largest of the 16 lane maxima (lane = index mod 16), a lower bound
// of the row's (OUTLIERS + 1)-th largest magnitude; only magnitudes above it enter, an equal one
// after the earlier. At the end `bound` is that magnitude, and entries 0 ..< min(count, OUTLIERS)
// are the row's outliers.
typedef struct {
    float a[OUTLIERS + 1];
    int32_t i[OUTLIERS + 1];
    int count;
    float bound;
} Largest;

static inline void largest_start(Largest *t, const float lanes[16]) {
    float s[16];
    for (int l = 0; l < 16; l++) s[l] = lanes[l];
    for (int e = 0; e <= OUTLIERS; e++)
        for (int l = e + 1; l < 16; l++)
            if (s[l] > s[e]) {
                const float x = s[e];
                s[e] = s[l];
                s[l] = x;
            }
    t->bound = s[OUTLIERS];
    t->count = 0;
}

static inline void largest_offer(Largest *t, float a, int32_t i) {
    if (!(a > t->bound)) return;
    int j = t->count < OUTLIERS + 1 ? t->count : OUTLIERS;
    while (j > 0 && t->a[j - 1] < a) {
        t->a[j] = t->a[j - 1];
        t->i[j] = t->i[j - 1];
        j--;
    }
    t->a[j] = a;
    t->i[j] = i;
    if (t->count < OUTLIERS + 1) t->count++;
    if (t->count == OUTLIERS + 1) t->bound = t->a[OUTLIERS];
}

// Row `row` of the block: its scale and zero point from [max(lo, -bound), min(hi, bound)], and the
// outliers' indices and residuals x' - scale (q - z) (zeros in unused slots and for a bad row).
static inline void finish_row(Block blk, long row, const float *xs, float lo, float hi, int bad, const Largest *t,
                              float *inv) {
    float scale;
    int32_t z;
    lo = lo > -t->bound ? lo : -t->bound;
    hi = hi < t->bound ? hi : t->bound;
    row_scale(lo, hi, bad, &scale, inv, &z);
    blk.scale[row] = scale;
    blk.zero[row] = z;
    for (int e = 0; e < OUTLIERS; e++) {
        int32_t index = 0;
        float r = 0.0f;
        if (e < t->count && !bad) {
            index = t->i[e];
            int32_t q = (int32_t)nearbyintf(xs[index] * *inv) + z;
            q = q < 0 ? 0 : q > 255 ? 255 : q;
            r = xs[index] - scale * (float)(q - z);
        }
        blk.outlier[row * OUTLIERS + e] = index;
        blk.residual[row * OUTLIERS + e] = r;
    }
}

// ---- Plain C: quantise a row, then one row times one panel at a time.

// Row `row` of the block from x (k floats): smoothed, its scale, zero point and outliers found, its
// bytes (lda, zeros past k) quantised.
static inline __attribute__((always_inline)) void quantize_row(const float *x, long k, long lda, const float *smooth,
                                                               Block blk, long row) {
    float *xs = blk.smoothed;
    float lo = 0.0f, hi = 0.0f, inv, lanes[16] = {0};
    int bad = 0;
    for (long kk = 0; kk < k; kk++) {
        xs[kk] = x[kk] * smooth[kk];
        lo = xs[kk] < lo ? xs[kk] : lo;
        hi = xs[kk] > hi ? xs[kk] : hi;
        bad |= (xs[kk] - xs[kk]) != 0.0f;
        lanes[kk % 16] = fabsf(xs[kk]) > lanes[kk % 16] ? fabsf(xs[kk]) : lanes[kk % 16];
    }
    Largest t;
    largest_start(&t, lanes);
    for (long kk = 0; kk < k; kk++) largest_offer(&t, fabsf(xs[kk]), (int32_t)kk);
    finish_row(blk, row, xs, lo, hi, bad, &t, &inv);
    const int32_t z = blk.zero[row];
    for (long kk = 0; kk < lda; kk++) {
        int32_t q = (int32_t)nearbyintf((kk < k ? xs[kk] : 0.0f) * inv) + z;
        blk.u[row * lda + kk] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);
    }
}

static inline __attribute__((always_inline)) void forward_plain_body(
    const float *inp, long m, long k, const int8_t *packed, const float *scales, const int32_t *sums, long n,
    const float *bias, const float *residual, int activation, float *out, void *scratch, const float *smooth,
    const float *outlier_weights) {
    const long quads = quads_of(k), lda = 4 * quads, panels = (n + NR - 1) / NR, np = padded_columns(n);
    const Block blk = block_in(scratch, lda);
    for (long r = 0; r < m; r++) {
        quantize_row(inp + r * k, k, lda, smooth, blk, 0);
        const float scale = blk.scale[0];
        const int32_t z = blk.zero[0];
        for (long p = 0; p < panels; p++) {
            int32_t acc[NR] = {0};
            const int8_t *panel = packed + p * quads * NR * 4;
            for (long kq = 0; kq < quads; kq++)
                for (long j = 0; j < NR; j++)
                    for (long e = 0; e < 4; e++)
                        acc[j] += (int32_t)blk.u[4 * kq + e] * (int32_t)panel[(kq * NR + j) * 4 + e];
            for (long j = 0; j < NR && p * NR + j < n; j++) {
                const long col = p * NR + j;
                float v = (float)(acc[j] - z * sums[col]);
                v = v * (scale * scales[col]);
                for (int e = 0; e < OUTLIERS; e++)
                    v = fmaf(blk.residual[e], outlier_weights[(long)blk.outlier[e] * np + col], v);
                v = v + (bias ? bias[col] : 0.0f);
                if (residual) v = v + residual[r * n + col];
                out[r * n + col] = v;
            }
        }
        if (activation == EMBEDTUNE_PACKED_LINEAR_GELU) embedtune_gelu_reference_forward(out + r * n, n, out + r * n);
    }
}

#define PLAIN_PARAMETERS                                                                                          \
    const float *inp, long m, long k, const int8_t *packed, const float *scales, const int32_t *sums, long n,      \
        const float *bias, const float *residual, int activation, float *out, void *scratch, const float *smooth, \
        const float *outlier_weights
#define PLAIN_ARGUMENTS \
    inp, m, k, packed, scales, sums, n, bias, residual, activation, out, scratch, smooth, outlier_weights

static void forward_plain(PLAIN_PARAMETERS) {
    forward_plain_body(PLAIN_ARGUMENTS);
}

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#include "simd_math.h"
#include "panel_edge.h"

// ---- AVX2: exact int32 sums without VNNI. A tile is 4 rows times half a panel (16 columns) in 8 ymm
// of int32 sums. Per quad of k it loads the half-panel's 16 column quads (two ymm of int8) and splits
// them into 16-bit pairs (k 0 and 2, k 1 and 3: a shift pair for the even bytes, one arithmetic shift
// for the odd), and splits each row's quad of unsigned bytes the same way (a mask, a shift); VPMADDWD
// then multiplies 16-bit pairs into int32 sums with no saturation, so the sums are exact, the VNNI
// kernel's. The rows are quantised by the plain path's code and the store does the VNNI kernel's
// operations in the same order, so the outputs are the same bits on every path.
#define TARGET2 __attribute__((target("avx2,fma")))

// ROWS (4 or 1) quantised rows (row stride lda, their scales sx and zero points zs) times half a
// panel (`panel` at its first column quad, row stride NR * 4 bytes), into `c` (row stride ldc) plus
// `res` (or NULL); `cols` of the 16 columns exist (all from 16 on). scales, sums, bias and ow start
// at the half-panel's first column.
TARGET2 static inline __attribute__((always_inline)) void tile_avx2(
    const int rows, const uint8_t *a, long lda, const float *sx, const int32_t *zs, long quads, const int8_t *panel,
    long cols, const float *bias, const float *scales, const int32_t *sums, const int32_t *outlier,
    const float *residual, const float *ow, long np, const float *res, float *c, long ldc, int gelu) {
    const __m256i lowBytes = _mm256_set1_epi32(0x00FF00FF);
    __m256i acc[4][2];
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) acc[i][0] = acc[i][1] = _mm256_setzero_si256();
    for (long kq = 0; kq < quads; kq++) {
        const __m256i q0 = _mm256_loadu_si256((const __m256i *)(panel + kq * NR * 4));
        const __m256i q1 = _mm256_loadu_si256((const __m256i *)(panel + kq * NR * 4 + 32));
        const __m256i even0 = _mm256_srai_epi16(_mm256_slli_epi16(q0, 8), 8), odd0 = _mm256_srai_epi16(q0, 8);
        const __m256i even1 = _mm256_srai_epi16(_mm256_slli_epi16(q1, 8), 8), odd1 = _mm256_srai_epi16(q1, 8);
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            int32_t quad;
            __builtin_memcpy(&quad, a + i * lda + 4 * kq, sizeof quad);
            const __m256i x = _mm256_set1_epi32(quad);
            const __m256i xe = _mm256_and_si256(x, lowBytes), xo = _mm256_srli_epi16(x, 8);
            acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_add_epi32(_mm256_madd_epi16(xe, even0), _mm256_madd_epi16(xo, odd0)));
            acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_add_epi32(_mm256_madd_epi16(xe, even1), _mm256_madd_epi16(xo, odd1)));
        }
    }
    for (int h = 0; h < 2; h++) {
        const __m256i m = lanes_below_avx2(cols - 8 * h);
        const __m256 sw = _mm256_maskload_ps(scales + 8 * h, m);
        const __m256i sum = _mm256_maskload_epi32((const int *)sums + 8 * h, m);
        const __m256 b = bias ? _mm256_maskload_ps(bias + 8 * h, m) : _mm256_setzero_ps();
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            __m256 v = _mm256_cvtepi32_ps(_mm256_sub_epi32(acc[i][h], _mm256_mullo_epi32(_mm256_set1_epi32(zs[i]), sum)));
            v = _mm256_mul_ps(v, _mm256_mul_ps(_mm256_set1_ps(sx[i]), sw));
            _Pragma("clang loop unroll(full)") for (int o = 0; o < OUTLIERS; o++) {
                const float *w = ow + (long)outlier[i * OUTLIERS + o] * np + 8 * h;
                v = _mm256_fmadd_ps(_mm256_set1_ps(residual[i * OUTLIERS + o]), _mm256_loadu_ps(w), v);
            }
            v = _mm256_add_ps(v, b);
            if (res) v = _mm256_add_ps(v, _mm256_maskload_ps(res + i * ldc + 8 * h, m));
            store_outputs_avx2(c + i * ldc + 8 * h, v, gelu, cols >= 8 * h + 8, m);
        }
    }
}

TARGET2 static void forward_avx2(PLAIN_PARAMETERS) {
    const int gelu = activation == EMBEDTUNE_PACKED_LINEAR_GELU;
    const long quads = quads_of(k), lda = 4 * quads, panels = (n + NR - 1) / NR, np = padded_columns(n);
    const Block blk = block_in(scratch, lda);
    for (long r0 = 0; r0 < m; r0 += ROW_BLOCK) {
        const long r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;
        for (long r = r0; r < r1; r++) quantize_row(inp + r * k, k, lda, smooth, blk, r - r0);
        for (long p = 0; p < panels; p++) {
            for (long half = 0; half < 2 && p * NR + 16 * half < n; half++) {
                const long col0 = p * NR + 16 * half;
                const int8_t *panel = packed + p * quads * NR * 4 + 16 * half * 4;
#define TILE(rows, r)                                                                                                \
    tile_avx2(rows, blk.u + ((r) - r0) * lda, lda, blk.scale + ((r) - r0), blk.zero + ((r) - r0), quads, panel,      \
              n - col0, bias ? bias + col0 : NULL, scales + col0, sums + col0, blk.outlier + ((r) - r0) * OUTLIERS, \
              blk.residual + ((r) - r0) * OUTLIERS, outlier_weights + col0, np,                                     \
              residual ? residual + (r) * n + col0 : NULL, out + (r) * n + col0, n, gelu)
                long r = r0;
                for (; r + 4 <= r1; r += 4) TILE(4, r);
                for (; r < r1; r++) TILE(1, r);
#undef TILE
            }
        }
    }
}
#undef TARGET2

// Rows (rows, k) -> the block's (rows, lda) bytes, scales, zero points and outliers, as the plain path does.
TARGET static void quantize_rows(const float *inp, long rows, long k, long lda, const float *smooth, Block blk) {
    float *xs = blk.smoothed;
    for (long i = 0; i < rows; i++) {
        const float *x = inp + i * k;
        __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps(), lanes = _mm512_setzero_ps();
        __mmask16 bad = 0;
        for (long kk = 0; kk < k; kk += 16) {
            const __mmask16 m = (__mmask16)(k - kk >= 16 ? 0xFFFF : (1u << (k - kk)) - 1);
            const __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + kk), _mm512_maskz_loadu_ps(m, smooth + kk));
            _mm512_mask_storeu_ps(xs + kk, m, v);
            lo = _mm512_min_ps(lo, v);
            hi = _mm512_max_ps(hi, v);
            lanes = _mm512_max_ps(lanes, _mm512_abs_ps(v));
            const __m512 d = _mm512_sub_ps(v, v);
            bad |= _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
        }
        float lane[16];
        _mm512_storeu_ps(lane, lanes);
        Largest t;
        largest_start(&t, lane);
        for (long kk = 0; kk < k; kk += 16) {
            const __mmask16 m = (__mmask16)(k - kk >= 16 ? 0xFFFF : (1u << (k - kk)) - 1);
            const __m512 a = _mm512_abs_ps(_mm512_maskz_loadu_ps(m, xs + kk));
            unsigned above = _mm512_mask_cmp_ps_mask(m, a, _mm512_set1_ps(t.bound), _CMP_GT_OQ);
            while (above) {
                const int l = __builtin_ctz(above);
                above &= above - 1;
                largest_offer(&t, fabsf(xs[kk + l]), (int32_t)(kk + l));
            }
        }
        float inv;
        finish_row(blk, i, xs, _mm512_reduce_min_ps(lo), _mm512_reduce_max_ps(hi), bad != 0, &t, &inv);
        const __m512 invs = _mm512_set1_ps(inv);
        const __m512i zs = _mm512_set1_epi32(blk.zero[i]), top = _mm512_set1_epi32(255), none = _mm512_setzero_si512();
        for (long kk = 0; kk < lda; kk += 16) {
            const __mmask16 m = (__mmask16)(k - kk >= 16 ? 0xFFFF : k - kk <= 0 ? 0 : (1u << (k - kk)) - 1);
            const __mmask16 keep = (__mmask16)(lda - kk >= 16 ? 0xFFFF : (1u << (lda - kk)) - 1);
            __m512i q = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, xs + kk), invs)), zs);
            q = _mm512_min_epi32(_mm512_max_epi32(q, none), top);
            _mm512_mask_cvtepi32_storeu_epi8(blk.u + i * lda + kk, keep, q);
        }
    }
}

// ROWS (12, 4 or 1) quantised rows (row stride lda, their scales sx and zero points zs) times one
// panel, into `c` (row stride ldc) plus `res` (or NULL), columns under masks m0 (0..15) and m1 (16..31).
TARGET static inline __attribute__((always_inline)) void tile(
    const int rows, const uint8_t *a, long lda, const float *sx, const int32_t *zs, long quads, const int8_t *panel,
    PanelEdge e, const float *scales, const int32_t *sums, const int32_t *outlier, const float *residual,
    const float *ow, long np, const float *res, float *c, long ldc, int gelu) {
    const __mmask16 m0 = e.m0, m1 = e.m1;
    const __m512 bias0 = e.bias0, bias1 = e.bias1;
    const __m512 sw0 = _mm512_maskz_loadu_ps(m0, scales), sw1 = _mm512_maskz_loadu_ps(m1, scales + 16);
    const __m512i sum0 = _mm512_maskz_loadu_epi32(m0, sums), sum1 = _mm512_maskz_loadu_epi32(m1, sums + 16);
    __m512i acc0[MR], acc1[MR];
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) acc0[i] = acc1[i] = _mm512_setzero_si512();
    for (long kq = 0; kq < quads; kq++) {
        const __m512i w0 = _mm512_loadu_si512(panel + kq * NR * 4), w1 = _mm512_loadu_si512(panel + kq * NR * 4 + 64);
        _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
            int32_t quad;
            __builtin_memcpy(&quad, a + i * lda + 4 * kq, sizeof quad);
            const __m512i x = _mm512_set1_epi32(quad);
            acc0[i] = _mm512_dpbusd_epi32(acc0[i], x, w0);
            acc1[i] = _mm512_dpbusd_epi32(acc1[i], x, w1);
        }
    }
    _Pragma("clang loop unroll(full)") for (int i = 0; i < rows; i++) {
        const __m512 s = _mm512_set1_ps(sx[i]);
        const __m512i z = _mm512_set1_epi32(zs[i]);
        __m512 v0 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc0[i], _mm512_mullo_epi32(z, sum0)));
        __m512 v1 = _mm512_cvtepi32_ps(_mm512_sub_epi32(acc1[i], _mm512_mullo_epi32(z, sum1)));
        v0 = _mm512_mul_ps(v0, _mm512_mul_ps(s, sw0));
        v1 = _mm512_mul_ps(v1, _mm512_mul_ps(s, sw1));
        _Pragma("clang loop unroll(full)") for (int o = 0; o < OUTLIERS; o++) {
            const __m512 r = _mm512_set1_ps(residual[i * OUTLIERS + o]);
            const float *w = ow + (long)outlier[i * OUTLIERS + o] * np;
            v0 = _mm512_fmadd_ps(r, _mm512_loadu_ps(w), v0);
            v1 = _mm512_fmadd_ps(r, _mm512_loadu_ps(w + 16), v1);
        }
        v0 = _mm512_add_ps(v0, bias0);
        v1 = _mm512_add_ps(v1, bias1);
        if (res) {
            v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, res + i * ldc));
            v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, res + i * ldc + 16));
        }
        _mm512_mask_storeu_ps(c + i * ldc, m0, gelu ? gelu_avx512(v0) : v0);
        _mm512_mask_storeu_ps(c + i * ldc + 16, m1, gelu ? gelu_avx512(v1) : v1);
    }
}

TARGET static void forward_vnni(PLAIN_PARAMETERS) {
    const int gelu = activation == EMBEDTUNE_PACKED_LINEAR_GELU;
    const long quads = quads_of(k), lda = 4 * quads, panels = (n + NR - 1) / NR, np = padded_columns(n);
    const Block blk = block_in(scratch, lda);
    for (long r0 = 0; r0 < m; r0 += ROW_BLOCK) {
        const long r1 = r0 + ROW_BLOCK < m ? r0 + ROW_BLOCK : m;
        quantize_rows(inp + r0 * k, r1 - r0, k, lda, smooth, blk);
        for (long p = 0; p < panels; p++) {
            const PanelEdge edge = panel_edge(n, p, bias);
            const int8_t *panel = packed + p * quads * NR * 4;
#define TILE(rows, r) tile(rows, blk.u + ((r) - r0) * lda, lda, blk.scale + ((r) - r0), blk.zero + ((r) - r0), quads, \
                           panel, edge, scales + p * NR, sums + p * NR, blk.outlier + ((r) - r0) * OUTLIERS,             \
                           blk.residual + ((r) - r0) * OUTLIERS, outlier_weights + p * NR, np,                            \
                           residual ? residual + (r) * n + p * NR : NULL,                                                \
                           out + (r) * n + p * NR, n, gelu)
            EMBEDTUNE_FOR_EACH_TILE(r0, r1, TILE);
#undef TILE
        }
    }
}
#undef TARGET
#endif

void embedtune_int8_linear_forward(const float *inp, long m, long k, const int8_t *packed, const float *scales,
                                   const int32_t *sums, long n, const float *bias, const float *residual,
                                   int activation, float *out, void *scratch, const float *smooth,
                                   const float *outlier_weights) {
    embedtune_int8_linear_forward_on(embedtune_cpu_features(), PLAIN_ARGUMENTS);
}

void embedtune_int8_linear_forward_on(int cpu, const float *inp, long m, long k, const int8_t *packed,
                                      const float *scales, const int32_t *sums, long n, const float *bias,
                                      const float *residual, int activation, float *out, void *scratch,
                                      const float *smooth, const float *outlier_weights) {
#if defined(__x86_64__)
    cpu &= embedtune_cpu_detected();
    if (cpu & EMBEDTUNE_CPU_AVX512_VNNI) {
        forward_vnni(PLAIN_ARGUMENTS);
        return;
    }
    if (cpu & EMBEDTUNE_CPU_AVX2) {  // AVX-512 CPUs without VNNI have AVX2 too
        forward_avx2(PLAIN_ARGUMENTS);
        return;
    }
#else
    (void)cpu;
#endif
    forward_plain(PLAIN_ARGUMENTS);
}
