import CBLAS
import CSIMD
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The compute context of the calling thread: how many threads its matrix products (`gemm`) may
/// use. The value is thread-local, so an encoder or trainer sets it for its own work without
/// touching anyone else's — two encodes in one process run side by side safely. OpenBLAS itself
/// runs single-threaded (set once, process-wide); `gemm` splits a large product into that many
/// independent OpenBLAS calls on its own workers. Threads that `parallelFor` starts begin at 1.
public enum ComputeThreads {
    /// The calling thread's product threads (1 unless set).
    public static var current: Int { Int(embedtune_compute_threads()) }

    /// Runs `body` with the calling thread's product threads set to `threads` (at least 1), and
    /// restores the previous value afterwards.
    public static func with<T>(_ threads: Int, _ body: () throws -> T) rethrows -> T {
        let previous = embedtune_set_compute_threads(Int32(clamping: Swift.max(1, threads)))
        defer { embedtune_set_compute_threads(previous) }
        return try body()
    }

    /// Sets the calling thread's product threads (at least 1) and returns the previous value, for
    /// the caller to `set` again when done (or use `with`).
    @discardableResult
    public static func exchange(_ threads: Int) -> Int {
        Int(embedtune_set_compute_threads(Int32(clamping: Swift.max(1, threads))))
    }

    /// Sets the calling thread's product threads (at least 1).
    public static func set(_ threads: Int) { exchange(threads) }

    /// Makes OpenBLAS single-threaded and stops its idle worker pool, once per process; `gemm` does
    /// it before the first product, and a program may do it first thing (the CLI does).
    ///
    /// OpenBLAS's pthread build starts its pool when the library loads, and each worker spins in
    /// `sched_yield` for a while (2^28 cycles) before it sleeps: a core burnt for the first tenth of
    /// a second of every process, though our products never use the pool. Its shutdown routine (the
    /// one its fork handler calls) ends the workers; single-threaded products never start them again.
    /// Builds without the routine (serial or OpenMP OpenBLAS) have no such pool.
    public static func pinOpenBLAS() { _ = openBLASPinned }

    static let openBLASPinned: Bool = {
        openblas_set_num_threads(1)
        #if canImport(Darwin)
        let everyLibrary = UnsafeMutableRawPointer(bitPattern: -2)  // RTLD_DEFAULT
        #else
        let everyLibrary: UnsafeMutableRawPointer? = nil  // RTLD_DEFAULT
        #endif
        if let shutdown = dlsym(everyLibrary, "blas_thread_shutdown_") {
            _ = unsafeBitCast(shutdown, to: (@convention(c) () -> Int32).self)()
        }
        return true
    }()
}
