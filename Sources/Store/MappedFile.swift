import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped private and read-write (copy-on-write: a write changes this process's pages,
/// never the file), unmapped when the last reference goes. Pages come from the page cache as they
/// are first read, so a file much larger than what one search touches costs little memory.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int

    /// Maps `size` bytes of the open file `descriptor` (size > 0); nil when mmap fails (see errno).
    init?(descriptor: Int32, size: Int) {
        guard let raw = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, descriptor, 0),
            raw != UnsafeMutableRawPointer(bitPattern: -1)
        else { return nil }
        base = raw
        self.size = size
    }

    deinit { munmap(base, size) }
}
