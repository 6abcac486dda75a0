import CBLAS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How a piece of work computes: the threads its matrix products (`gemm`) may use. A value passed
/// down explicitly — an encoder, trainer or search makes one from its own `threads` and hands it to
/// every product it runs — so nothing is process-wide or thread-local, and two encodes in one
/// process (the service, a library user) never see each other's. OpenBLAS itself runs
/// single-threaded (`pinOpenBLAS`, once per process); `gemm` splits a large product into
/// `threads` independent OpenBLAS calls on its own workers. Workspaces belong to each call (an
/// encode's workers make their own), not to the context.
public struct ComputeContext: Sendable, Equatable, CustomStringConvertible {
    /// Threads of each product (at least 1).
    public let threads: Int

    public init(threads: Int) { self.threads = Swift.max(1, threads) }

    /// One thread: the products of work that is itself one of several parallel workers.
    public static let serial = ComputeContext(threads: 1)

    public var description: String { "ComputeContext(threads: \(threads))" }

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
