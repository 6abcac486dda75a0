import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A whole file mapped private and read-write (copy-on-write: a write changes this process's pages,
/// never the file), unmapped when the last reference goes. Pages come from the page cache as they
/// are first read, so a file much larger than what one search touches costs little memory.
///
/// `scattered` is for sections read a few rows at a time (the float32 rows a search rescores, the ids
/// of its hits): the mapping is placed one page off the 2 MiB alignment of the file's offsets, so the
/// kernel cannot map a page-cache huge folio whole (2 MiB per touched row, measured: 400 rescored rows
/// of a 1M store cost 620 MB of resident set) and maps only its fault-around window instead (27 MB).
/// Sections that are scanned whole keep the aligned mapping, whose huge folios make the scan faster.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int
    /// What deinit unmaps: the file's mapping, or the whole reservation it was placed in.
    private let region: (start: UnsafeMutableRawPointer, bytes: Int)

    /// Maps `size` bytes of the open file `descriptor` (size > 0); nil when mmap fails (see errno).
    init?(descriptor: Int32, size: Int, scattered: Bool = false) {
        let protection = PROT_READ | PROT_WRITE
        guard scattered else {
            guard let raw = mmap(nil, size, protection, MAP_PRIVATE, descriptor, 0), raw != MappedFile.failed else {
                return nil
            }
            base = raw
            self.size = size
            region = (raw, size)
            return
        }
        let huge = 2 << 20, page = Int(getpagesize())
        let reserved = size + 2 * huge
        guard let reservation = mmap(nil, reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            reservation != MappedFile.failed
        else { return nil }
        let aligned = (Int(bitPattern: reservation) + huge - 1) / huge * huge
        let at = UnsafeMutableRawPointer(bitPattern: aligned + page)
        guard let raw = mmap(at, size, protection, MAP_PRIVATE | MAP_FIXED, descriptor, 0), raw != MappedFile.failed else {
            munmap(reservation, reserved)
            return nil
        }
        base = raw
        self.size = size
        region = (reservation, reserved)
    }

    /// mmap's MAP_FAILED.
    private static var failed: UnsafeMutableRawPointer? { UnsafeMutableRawPointer(bitPattern: -1) }

    deinit { munmap(region.start, region.bytes) }
}

/// Keeps several mappings alive for one owner (a matrix whose rows and norms lie in different mappings).
final class MappedFiles: @unchecked Sendable {
    let files: [MappedFile]
    init(_ files: [MappedFile]) { self.files = files }
}
