// The number of threads the matrix products of the calling thread may use: a thread-local value,
// so that concurrent encoders and trainers in one process (the service, a library user) never
// change each other's (OpenBLAS's own thread count is process-wide and stays 1; Tensor's gemm
// splits a product over this many threads itself).
#ifndef EMBEDTUNE_COMPUTE_THREADS_H
#define EMBEDTUNE_COMPUTE_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The calling thread's value; 1 on a thread that never set one.
int embedtune_compute_threads(void);

/// Sets the calling thread's value (at least 1); returns the previous one.
int embedtune_set_compute_threads(int threads);

#ifdef __cplusplus
}
#endif

#endif
