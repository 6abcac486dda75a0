// The C SIMD kernels of EmbedTune, each choosing an AVX-512, AVX2 or portable path at run time.
#include "attention_head.h"
#include "cpu_features.h"
#include "erf_coefficients.h"
#include "gelu.h"
#include "int8_dot.h"
#include "layer_norm.h"
#include "nibble_dot.h"
#include "packed_linear.h"
