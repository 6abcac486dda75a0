#if canImport(Glibc)
import Glibc
#endif

/// Allocation of the large scan buffers (`VectorMatrix`, `QuantizedMatrix`).
///
/// Buffers of 4 MiB or more are 2 MiB aligned and, on Linux, advised as transparent huge pages
/// (`madvise(MADV_HUGEPAGE)`; this kernel's default THP mode is `madvise`): a full scan of 1.5 GB
/// then takes one TLB entry per 2 MiB instead of per 4 KiB. numpy does the same for large arrays.
/// The advice is a hint; where it is refused, the memory is ordinary pages.
enum HugePageBuffer {
    static let hugePageBytes = 2 << 20

    /// Uninitialised memory for `bytes` bytes, at least 64-byte aligned. Free with `deallocate()`.
    static func allocate(bytes: Int) -> UnsafeMutableRawPointer {
        let large = bytes >= 2 * hugePageBytes
        let p = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 1), alignment: large ? hugePageBytes : 64)
        #if canImport(Glibc)
        if large {
            let length = (bytes + hugePageBytes - 1) / hugePageBytes * hugePageBytes
            _ = madvise(p, length, Int32(MADV_HUGEPAGE))
        }
        #endif
        return p
    }
}
