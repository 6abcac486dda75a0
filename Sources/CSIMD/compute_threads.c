// See include/compute_threads.h.
#include "compute_threads.h"

static _Thread_local int compute_threads = 1;

int embedtune_compute_threads(void) { return compute_threads; }

int embedtune_set_compute_threads(int threads) {
    const int previous = compute_threads;
    compute_threads = threads < 1 ? 1 : threads;
    return previous;
}
