// Open MPI through dlopen/dlsym: the prototypes below are MPI's, with every handle an opaque pointer
// (Open MPI's MPI_Comm, MPI_Datatype, MPI_Op, MPI_Errhandler and MPI_Request are pointers to structs).
#define _GNU_SOURCE
#include "CMPI.h"

#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

typedef void *handle;

// Open MPI's constants (mpi.h of Open MPI 4): MPI_IN_PLACE is (void *) 1, MPI_STATUS_IGNORE is NULL.
#define OMPI_IN_PLACE ((void *)1)
#define OMPI_STATUS_IGNORE ((void *)0)
#define OMPI_THREAD_FUNNELED 1

static struct {
    int (*init_thread)(int *, char ***, int, int *);
    int (*comm_rank)(handle, int *);
    int (*comm_size)(handle, int *);
    int (*comm_set_errhandler)(handle, handle);
    int (*iallgather)(const void *, int, handle, void *, int, handle, handle, handle *);
    int (*iallreduce)(const void *, void *, int, handle, handle, handle, handle *);
    int (*ibcast)(void *, int, handle, int, handle, handle *);
    int (*test)(handle *, int *, void *);
    int (*abort)(handle, int);
    int (*finalize)(void);
    int (*error_string)(int, char *, int *);
    handle comm_world, float_type, byte_type, op_sum, errors_return;
} mpi;

static int resolve(void *library, const char *name, void **out, char *error, size_t error_size) {
    *out = dlsym(library, name);
    if (*out == NULL) {
        snprintf(error, error_size, "%s has no symbol %s (not Open MPI 4?)", "libmpi", name);
        return -1;
    }
    return 0;
}

int embedtune_mpi_load(const char *library, char *error, size_t error_size) {
    // RTLD_GLOBAL: Open MPI's components, opened by libmpi itself, resolve libmpi's symbols globally.
    void *lib = dlopen(library, RTLD_NOW | RTLD_GLOBAL);
    if (lib == NULL) {
        const char *why = dlerror();
        snprintf(error, error_size, "%s", why ? why : "dlopen failed");
        return -1;
    }
    struct { const char *name; void **slot; } symbols[] = {
        {"MPI_Init_thread", (void **)&mpi.init_thread},
        {"MPI_Comm_rank", (void **)&mpi.comm_rank},
        {"MPI_Comm_size", (void **)&mpi.comm_size},
        {"MPI_Comm_set_errhandler", (void **)&mpi.comm_set_errhandler},
        {"MPI_Iallgather", (void **)&mpi.iallgather},
        {"MPI_Iallreduce", (void **)&mpi.iallreduce},
        {"MPI_Ibcast", (void **)&mpi.ibcast},
        {"MPI_Test", (void **)&mpi.test},
        {"MPI_Abort", (void **)&mpi.abort},
        {"MPI_Finalize", (void **)&mpi.finalize},
        {"MPI_Error_string", (void **)&mpi.error_string},
        {"ompi_mpi_comm_world", &mpi.comm_world},
        {"ompi_mpi_float", &mpi.float_type},
        {"ompi_mpi_byte", &mpi.byte_type},
        {"ompi_mpi_op_sum", &mpi.op_sum},
        {"ompi_mpi_errors_return", &mpi.errors_return},
    };
    for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
        if (resolve(lib, symbols[i].name, symbols[i].slot, error, error_size) != 0) return -1;
    }
    return 0;
}

int embedtune_mpi_init(int *rank, int *size) {
    int provided = 0, code = mpi.init_thread(NULL, NULL, OMPI_THREAD_FUNNELED, &provided);
    if (code != 0) return code;
    if ((code = mpi.comm_set_errhandler(mpi.comm_world, mpi.errors_return)) != 0) return code;
    if ((code = mpi.comm_rank(mpi.comm_world, rank)) != 0) return code;
    return mpi.comm_size(mpi.comm_world, size);
}

int embedtune_mpi_iallgather_float(const float *send, float *recv, int count, embedtune_mpi_request *request) {
    return mpi.iallgather(send, count, mpi.float_type, recv, count, mpi.float_type, mpi.comm_world, request);
}

int embedtune_mpi_iallreduce_sum_float(float *buffer, int count, embedtune_mpi_request *request) {
    return mpi.iallreduce(OMPI_IN_PLACE, buffer, count, mpi.float_type, mpi.op_sum, mpi.comm_world, request);
}

int embedtune_mpi_ibcast_bytes(void *buffer, int count, int root, embedtune_mpi_request *request) {
    return mpi.ibcast(buffer, count, mpi.byte_type, root, mpi.comm_world, request);
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int embedtune_mpi_wait(embedtune_mpi_request *request, double timeout_seconds, double *waited) {
    // MPI_Test drives Open MPI's progress engine, so it is called back to back (as Open MPI's own
    // blocking calls spin); sched_yield lets another process have the core when the machine is busy.
    double start = now_seconds();
    int done = 0, code = 0;
    for (;;) {
        if ((code = mpi.test(request, &done, OMPI_STATUS_IGNORE)) != 0) break;
        if (done) break;
        if (now_seconds() - start > timeout_seconds) { code = -1; break; }
        sched_yield();
    }
    *waited = now_seconds() - start;
    return code;
}

int embedtune_mpi_abort(int code) { return mpi.abort(mpi.comm_world, code); }

int embedtune_mpi_finalize(void) { return mpi.finalize(); }

void embedtune_mpi_error_string(int code, char *out, size_t size) {
    if (size == 0) return;
    out[0] = 0;
    if (mpi.error_string == NULL) return;
    char text[512];  // MPI_MAX_ERROR_STRING is 256 in Open MPI
    int length = 0;
    if (mpi.error_string(code, text, &length) != 0) return;
    text[length < (int)sizeof(text) ? length : (int)sizeof(text) - 1] = 0;
    snprintf(out, size, "%s", text);
}

static char termination_message[1024];
static size_t termination_length;

static void say_and_exit(int signal_number) {
    (void)signal_number;
    // write(2) and _exit(2) only: async-signal-safe.
    ssize_t written = write(STDERR_FILENO, termination_message, termination_length);
    (void)written;
    _exit(128 + SIGTERM);
}

void embedtune_mpi_message_on_sigterm(const char *message) {
    snprintf(termination_message, sizeof(termination_message), "%s", message);
    termination_length = strlen(termination_message);
    struct sigaction action;
    memset(&action, 0, sizeof(action));
    action.sa_handler = say_and_exit;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, NULL);
}
