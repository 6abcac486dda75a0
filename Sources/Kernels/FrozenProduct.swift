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

    /// Calls `body(lo, hi, scratch)` once per part of 0..<n, on `threads` workers, with `scratchBytes`
    /// of 64-byte aligned scratch of its own, then `epilogue(lo, hi)` on the same thread.
    static func forEachPart(
        n: Int, threads: Int, scratchBytes: Int = 0, epilogue: ((_ lo: Int, _ hi: Int) -> Void)?,
        _ body: (_ lo: Int, _ hi: Int, _ scratch: UnsafeMutableRawPointer?) -> Void
    ) {
        precondition(n >= 0, "ProductRows: negative n")
        let workers = Swift.max(1, Swift.min(threads, n / 48))
        let perWorker = (n + workers - 1) / workers
        let blocksPerWorker = Swift.max(1, (perWorker + rowBlock - 1) / rowBlock)
        let parts = workers * blocksPerWorker
        let chunk = ((n + parts - 1) / parts + 11) / 12 * 12
        parallelFor(parts, threads: workers) { p in
            let lo = Swift.min(n, p * chunk), hi = Swift.min(n, lo + chunk)
            guard hi > lo else { return }
            let scratch = scratchBytes > 0 ? UnsafeMutableRawPointer.allocate(byteCount: scratchBytes, alignment: 64) : nil
            defer { scratch?.deallocate() }
            body(lo, hi, scratch)
            epilogue?(lo, hi)
        }
    }
}

/// The memory of a frozen product: its packed weight, `count` elements 64-byte aligned (filled by
/// the owner's C packing function), and a copy of its bias (OC; nil for none).
final class ProductStorage<Element>: @unchecked Sendable {
    let packed: UnsafeMutablePointer<Element>
    let bias: UnsafeMutablePointer<Float>?

    init(count: Int, bias source: UnsafePointer<Float>?, outFeatures oc: Int) {
        packed = UnsafeMutableRawPointer.allocate(
            byteCount: Swift.max(1, count) * MemoryLayout<Element>.stride, alignment: 64
        ).bindMemory(to: Element.self, capacity: count)
        bias = source.map { source in
            let copy = UnsafeMutablePointer<Float>.allocate(capacity: oc)
            copy.initialize(from: source, count: oc)
            return copy
        }
    }

    deinit {
        packed.deallocate()
        bias?.deallocate()
    }
}
