// See gelu_table.h. For each interval: Q at the five Chebyshev nodes of [0, 1] (in u), then the
// interpolating polynomial's monomial coefficients by Gaussian elimination on the 5 x 5
// Vandermonde system, in double, rounded to float once.
#include "gelu_table.h"

#include <math.h>

enum { NODES = EMBEDTUNE_GELU_DEGREE + 1 };

__attribute__((aligned(64))) float embedtune_gelu_tail[NODES][EMBEDTUNE_GELU_INTERVALS];

// Solves v (NODES x NODES) c = y in place (partial pivoting); the answer is left in y.
static void solve(double v[NODES][NODES], double y[NODES]) {
    for (int col = 0; col < NODES; col++) {
        int pivot = col;
        for (int r = col + 1; r < NODES; r++)
            if (fabs(v[r][col]) > fabs(v[pivot][col])) pivot = r;
        for (int j = 0; j < NODES; j++) {
            const double t = v[col][j];
            v[col][j] = v[pivot][j];
            v[pivot][j] = t;
        }
        const double t = y[col];
        y[col] = y[pivot];
        y[pivot] = t;
        for (int r = col + 1; r < NODES; r++) {
            const double f = v[r][col] / v[col][col];
            for (int j = col; j < NODES; j++) v[r][j] -= f * v[col][j];
            y[r] -= f * y[col];
        }
    }
    for (int r = NODES - 1; r >= 0; r--) {
        double s = y[r];
        for (int j = r + 1; j < NODES; j++) s -= v[r][j] * y[j];
        y[r] = s / v[r][r];
    }
}

__attribute__((constructor)) static void build_gelu_tail(void) {
    const double width = (double)EMBEDTUNE_GELU_RANGE / EMBEDTUNE_GELU_INTERVALS;
    const double pi = 3.14159265358979323846, invSqrt2 = 0.70710678118654752440;
    for (int i = 0; i < EMBEDTUNE_GELU_INTERVALS; i++) {
        double v[NODES][NODES], y[NODES];
        for (int m = 0; m < NODES; m++) {
            const double u = (1.0 - cos((2 * m + 1) * pi / (2 * NODES))) / 2;
            double power = 1.0;
            for (int j = 0; j < NODES; j++, power *= u) v[m][j] = power;
            y[m] = 0.5 * erfc((i + u) * width * invSqrt2);
        }
        solve(v, y);
        for (int j = 0; j < NODES; j++) embedtune_gelu_tail[j][i] = (float)y[j];
    }
}
