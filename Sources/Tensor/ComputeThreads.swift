import CBLAS
import CSIMD

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

    /// OpenBLAS's process-wide thread count, made 1 before the first product (`gemm` asks).
    static let openBLASPinned: Bool = {
        openblas_set_num_threads(1)
        return true
    }()
}
