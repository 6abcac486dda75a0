// The skinny products of a low-rank adapter (LoRA) around a packed frozen product, in float32:
// a down-projection to R columns and the outer-product sums of its two weight gradients. R is small
// (LoRA's rank, typically 4-64); the other sizes are a layer's tokens and channels. OpenBLAS's sgemm
// spends most of its time packing and in edge kernels on these shapes.
#ifndef EMBEDTUNE_LOW_RANK_H
#define EMBEDTUNE_LOW_RANK_H

#ifdef __cplusplus
extern "C" {
#endif

/// out (m, r) row-major = scale * inp (m, k) row-major @ down (r, k)^T, down row-major. Each output
/// is one dot product over k, summed in a fixed order, so a row's result does not depend on m.
void embedtune_low_rank_down(const float *inp, long m, long k, const float *down, long r, float scale, float *out);

/// g += scale * u (m, r)^T @ v (m, k): element (j, kk) of g, at g[j * ldj + kk * ldk], gets
/// scale * sum over i in 0..<m, in that order, of u[i * r + j] * v[i * ldv + kk]. With ldk = 1, g is
/// (r, k) with row stride ldj; with ldj = 1 and ldk = r, g is the transposed (k, r).
void embedtune_low_rank_outer(const float *u, long m, long r, const float *v, long ldv, long k, float scale, float *g,
                              long ldj, long ldk);

/// The same sums in parts, for a caller that has the rows of v block by block (while they are in its
/// cache): `sums` holds `embedtune_low_rank_outer_sums_floats(r, k)` floats, 64-byte aligned and zeroed
/// before the first part; each `accumulate` adds rows 0..<m of u and v (the caller's next block, in
/// order), and `finish` does g += scale * sums. Over all the blocks of m rows in order, g gets the bits
/// `embedtune_low_rank_outer` gives for the m rows in one call.
long embedtune_low_rank_outer_sums_floats(long r, long k);
void embedtune_low_rank_outer_accumulate(const float *u, long m, long r, const float *v, long ldv, long k,
                                         float *sums);
void embedtune_low_rank_outer_finish(const float *sums, long r, long k, float scale, float *g, long ldj, long ldk);

#ifdef __cplusplus
}
#endif

#endif
