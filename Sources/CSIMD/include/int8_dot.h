// Exact integer dot products of int8 codes with an int16 query: the inner loop of the int8 scan
// (Retrieval's QuantizedMatrix). Written in C so one binary carries an AVX-512 VNNI path, an AVX2
// path and a portable path, chosen at run time from what the CPU offers; all three return the same
// integers.
#ifndef EMBEDTUNE_INT8_DOT_H
#define EMBEDTUNE_INT8_DOT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Implementations, as bits of `embedtune_int8_available_paths()`.
enum {
    EMBEDTUNE_INT8_PORTABLE = 1,
    EMBEDTUNE_INT8_AVX2 = 2,
    EMBEDTUNE_INT8_AVX512_VNNI = 4,
};

/// Bit set of the paths this CPU (and operating system) can run; PORTABLE is always in it.
int embedtune_int8_available_paths(void);

/// The path `embedtune_int8_dots` takes: the fastest available one.
int embedtune_int8_best_path(void);

/// A query prepared for the scan: the int16 values and the two unsigned bytes of (q + 32768),
/// which the VNNI path multiplies (u8 x s8) with the codes.
/// `q16`, `hi`, `lo` each hold `stride` values; `stride` is a multiple of 16.
void embedtune_int8_prepare(const int16_t *q16, long stride, uint8_t *hi, uint8_t *lo);

/// out[r] = sum_d q16[d] * codes[r * stride + d] for r in [0, rows). `stride` is a multiple of 16;
/// `hi` and `lo` come from `embedtune_int8_prepare(q16, ...)`. Each row's true sum must lie in the
/// int32 range (the caller bounds |q16|); integer arithmetic makes the result exact in any order.
void embedtune_int8_dots(const int16_t *q16, const uint8_t *hi, const uint8_t *lo, const int8_t *codes,
                         long stride, long rows, int32_t *out);

/// The same with a given path (one bit of `embedtune_int8_available_paths()`); for tests.
void embedtune_int8_dots_with(int path, const int16_t *q16, const uint8_t *hi, const uint8_t *lo,
                              const int8_t *codes, long stride, long rows, int32_t *out);

#ifdef __cplusplus
}
#endif

#endif
