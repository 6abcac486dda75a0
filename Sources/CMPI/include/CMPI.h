#ifndef EMBEDTUNE_CMPI_H
#define EMBEDTUNE_CMPI_H

// Open MPI, loaded at run time. Nothing here links against libmpi: `embedtune_mpi_load` opens the
// library with dlopen and resolves the functions and Open MPI's predefined handles (MPI_COMM_WORLD is
// the address of `ompi_mpi_comm_world`, MPI_FLOAT of `ompi_mpi_float`, ...) with dlsym, so the
// package builds and runs on a machine without MPI. Handles are opaque pointers, as in Open MPI's ABI
// (libmpi.so.40). Every function returns MPI_SUCCESS (0) or an MPI error code; errors return rather
// than abort (MPI_ERRORS_RETURN on MPI_COMM_WORLD).

#include <stddef.h>

/// Opens `library` (e.g. "libmpi.so.40") and resolves what the functions below call. Returns 0, or -1
/// with a reason in `error`.
int embedtune_mpi_load(const char *library, char *error, size_t error_size);

/// MPI_Init_thread (MPI_THREAD_FUNNELED: only the main thread calls MPI) and MPI_ERRORS_RETURN on
/// MPI_COMM_WORLD; then the rank and size of MPI_COMM_WORLD.
int embedtune_mpi_init(int *rank, int *size);

/// A pending non-blocking collective (MPI_Request); NULL once complete.
typedef void *embedtune_mpi_request;

/// MPI_Iallgather of `count` floats from each rank: recv (size * count) in rank order.
int embedtune_mpi_iallgather_float(const float *send, float *recv, int count, embedtune_mpi_request *request);
/// MPI_Iallreduce with MPI_SUM over `count` floats, in place.
int embedtune_mpi_iallreduce_sum_float(float *buffer, int count, embedtune_mpi_request *request);
/// MPI_Ibcast of `count` bytes from `root`.
int embedtune_mpi_ibcast_bytes(void *buffer, int count, int root, embedtune_mpi_request *request);

/// Polls `request` with MPI_Test until it completes or `timeout_seconds` pass. Returns 0 when complete,
/// -1 on timeout (the request stays pending), or an MPI error code. `waited` receives the seconds spent.
int embedtune_mpi_wait(embedtune_mpi_request *request, double timeout_seconds, double *waited);

/// MPI_Abort on MPI_COMM_WORLD: the launcher ends every rank with `code`.
int embedtune_mpi_abort(int code);
int embedtune_mpi_finalize(void);
/// MPI_Error_string into `out`.
void embedtune_mpi_error_string(int code, char *out, size_t size);

/// When the launcher ends this rank with SIGTERM (another rank failed, or the job was cancelled), write
/// `message` (copied here, at most 1023 bytes) to standard error and exit with status 143.
void embedtune_mpi_message_on_sigterm(const char *message);

#endif
