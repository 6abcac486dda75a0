// Exact integer dot products of 4-bit codes with an int8 query: the inner loop of the 4-bit
// prefilter scan of `--quantized` search (Retrieval's NibbleMatrix). Half the bytes of the int8
// scan, so half its memory traffic; one binary carries an AVX-512 VNNI path, an AVX2 path and a
// portable path, chosen at run time, all returning the same integers.
//
// Layout of one row (`stride` bytes, a multiple of 64): chunk j (bytes 64 j ..< 64 j + 64) holds
// dimensions 128 j ..< 128 j + 128; its byte b carries dimension 128 j + b in the low nibble and
// dimension 128 j + 64 + b in the high nibble. A nibble u in 0...15 stands for the code u - 8.
#ifndef EMBEDTUNE_NIBBLE_DOT_H
#define EMBEDTUNE_NIBBLE_DOT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Implementations, as bits of `embedtune_nibble_available_paths()`.
enum {
    EMBEDTUNE_NIBBLE_PORTABLE = 1,
    EMBEDTUNE_NIBBLE_AVX2 = 2,
    EMBEDTUNE_NIBBLE_AVX512_VNNI = 4,
};

/// Bit set of the paths this CPU (and operating system) can run; PORTABLE is always in it.
int embedtune_nibble_available_paths(void);

/// The path `embedtune_nibble_dots` takes: the fastest available one.
int embedtune_nibble_best_path(void);

/// Packs `2 * stride` codes (each in -8...7; dimension order) into one row of `stride` bytes.
void embedtune_nibble_pack(const int8_t *codes, long stride, uint8_t *row);

/// out[r] = sum_d q8[d] * (u[r, d] - 8) over the 2 * stride dimensions of rows r in [0, rows).
/// `q8` holds 2 * stride values in -127...127 (dimension order; zero on padding); `stride` is a
/// multiple of 64. The sums are exact (|sum| <= 15 * 127 * 2 * stride).
void embedtune_nibble_dots(const int8_t *q8, const uint8_t *codes, long stride, long rows, int32_t *out);

/// The same with a given path (one bit of `embedtune_nibble_available_paths()`); for tests.
void embedtune_nibble_dots_with(int path, const int8_t *q8, const uint8_t *codes, long stride, long rows,
                                int32_t *out);

#ifdef __cplusplus
}
#endif

#endif
