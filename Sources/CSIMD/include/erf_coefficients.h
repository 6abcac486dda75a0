// The coefficients of EmbedTune's single-precision erf, used by the Swift kernels (Kernels'
// FastMath, which imports these macros as constants). The C GELU (simd_math.h) uses a table instead.
//
// erf on |x| < 1: x * P(x^2), P a degree-5 weighted least-squares (Lawson) fit of erf(x)/x,
// relative error 4e-8 before rounding.
// erf on 1 <= |x| < 3.92: 1 - e^(-x^2) R(1/|x|), R a degree-7 fit of the scaled complementary
// error function erfcx(x) = e^(x^2) erfc(x) in powers of 1/x, relative error 1.3e-7 (the error in
// erf is that times erfc(x) <= 0.157). Beyond 3.92, erf rounds to +-1 in Float.
#ifndef EMBEDTUNE_ERF_COEFFICIENTS_H
#define EMBEDTUNE_ERF_COEFFICIENTS_H

#define EMBEDTUNE_ERF_BOUND 3.92f

#define EMBEDTUNE_ERF_SMALL_0 1.1283791065216064f
#define EMBEDTUNE_ERF_SMALL_1 -0.37612324953079224f
#define EMBEDTUNE_ERF_SMALL_2 0.11280179768800735f
#define EMBEDTUNE_ERF_SMALL_3 -0.02671131119132042f
#define EMBEDTUNE_ERF_SMALL_4 0.004917551297694445f
#define EMBEDTUNE_ERF_SMALL_5 -0.0005631421809084713f

#define EMBEDTUNE_ERF_LARGE_0 0.0003420299617573619f
#define EMBEDTUNE_ERF_LARGE_1 0.5578554272651672f
#define EMBEDTUNE_ERF_LARGE_2 0.050308290868997574f
#define EMBEDTUNE_ERF_LARGE_3 -0.5036458373069763f
#define EMBEDTUNE_ERF_LARGE_4 0.571480393409729f
#define EMBEDTUNE_ERF_LARGE_5 -0.3494390845298767f
#define EMBEDTUNE_ERF_LARGE_6 0.11781924217939377f
#define EMBEDTUNE_ERF_LARGE_7 -0.017136847600340843f

#endif
