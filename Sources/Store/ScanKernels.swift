import CSIMD

/// The memory-bound inner loop of exact search (CSIMD's `embedtune_scan_dot`): one row at a time,
/// four 16-lane accumulators (eight independent FMA chains on AVX2, four on AVX-512), a fixed-order
/// tree reduction. Scanning and rescoring call the same kernel, so a rescored score equals the
/// scanned one bit for bit. (Four rows per step with one accumulator each ran at half the bandwidth:
/// four interleaved streams prefetch worse.)
enum ScanKernels {
    /// Rows per call of `dots`: 256 rows of 384 floats (384 KB) amortise the call.
    static let block = 256

    /// dot(query, row) over `stride` floats (a multiple of 16).
    @inline(__always)
    static func dot1(_ query: UnsafeRawPointer, _ row: UnsafeRawPointer, _ stride: Int) -> Float {
        embedtune_scan_dot(query.assumingMemoryBound(to: Float.self), row.assumingMemoryBound(to: Float.self), stride)
    }

    /// out[i] = dot1(query, rows + i * stride) for i < count.
    @inline(__always)
    static func dots(_ query: UnsafeRawPointer, _ rows: UnsafeRawPointer, _ stride: Int, _ count: Int, _ out: UnsafeMutablePointer<Float>) {
        embedtune_scan_dots(query.assumingMemoryBound(to: Float.self), rows.assumingMemoryBound(to: Float.self), stride, count, out)
    }
}
