import CSIMD
import Tensor

/// A frozen Linear's forward-only product laid out for one kernel (`PackedLinear` in float32,
/// `BF16Linear`, `Int8Linear`): out (N, OC) = activation(inp (N, C) @ weight^T + bias (+ residual)).
///
/// Sizes: N tokens (rows), C input channels, OC output channels.
public protocol FrozenProduct: AnyObject, Sendable {
    var inFeatures: Int { get }
    var outFeatures: Int { get }
    /// Overwrites out (N, OC); `residual` (N, OC) may be `out` itself. `epilogue(lo, hi)` runs on the
    /// thread that has just computed rows lo..<hi, while they are in its cache.
    func forward(
        out: UnsafeMutablePointer<Float>, inp: UnsafePointer<Float>, n: Int, threads: Int,
        residual: UnsafePointer<Float>?, activation: PackedLinear.Activation,
        epilogue: ((_ lo: Int, _ hi: Int) -> Void)?
    )
}

/// How the frozen products split their N rows: blocks of at most the C kernels' L2 row block (a
/// multiple of 12, the kernels' tile), `threads` workers taking an equal share of blocks (at least 48
/// rows each).
enum ProductRows {
    static let rowBlock = Int(EMBEDTUNE_PACKED_LINEAR_ROW_BLOCK)

    /// Calls `body(lo, hi)` once per part of 0..<n, on `threads` workers.
    static func forEachPart(n: Int, threads: Int, _ body: (_ lo: Int, _ hi: Int) -> Void) {
        precondition(n >= 0, "ProductRows: negative n")
        let workers = Swift.max(1, Swift.min(threads, n / 48))
        let perWorker = (n + workers - 1) / workers
        let blocksPerWorker = Swift.max(1, (perWorker + rowBlock - 1) / rowBlock)
        let parts = workers * blocksPerWorker
        let chunk = ((n + parts - 1) / parts + 11) / 12 * 12
        parallelFor(parts, threads: workers) { p in
            let lo = Swift.min(n, p * chunk), hi = Swift.min(n, lo + chunk)
            guard hi > lo else { return }
            body(lo, hi)
        }
    }

    /// `body(scratch)` with `bytes` of 64-byte aligned scratch, freed afterwards.
    static func withScratch(bytes: Int, _ body: (UnsafeMutableRawPointer) -> Void) {
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(64, bytes), alignment: 64)
        defer { scratch.deallocate() }
        body(scratch)
    }

    /// `count` uninitialised values, 64-byte aligned (free with `deallocate()`).
    static func allocateAligned<T>(_: T.Type, count: Int) -> UnsafeMutablePointer<T> {
        UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * MemoryLayout<T>.stride, alignment: 64)
            .bindMemory(to: T.self, capacity: count)
    }

    /// A copy of `count` values at `source` (a bias), nil for none.
    static func copy(_ source: UnsafePointer<Float>?, count: Int) -> UnsafeMutablePointer<Float>? {
        source.map { source in
            let copy = UnsafeMutablePointer<Float>.allocate(capacity: count)
            copy.initialize(from: source, count: count)
            return copy
        }
    }
}
