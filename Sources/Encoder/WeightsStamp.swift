import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the file system says about the weight files a fingerprint was computed from — device, inode,
/// size, modification and status-change times (nanoseconds) of each — recorded in a store next to
/// the fingerprint (`VectorStore.recordWeightsStamp`). While the files' stamp is unchanged, their bytes are the
/// ones that were hashed, and a search may trust the recorded weights hash instead of hashing ~90 MB
/// of weights again (git's index trusts file stamps the same way). Any write to a file changes its
/// change time, which no program can set; a copied or moved model gets a new stamp and is hashed once.
public enum WeightsStamp {
    /// The stamp of `paths`, in order; nil when one cannot be read.
    public static func of(_ paths: [String]) -> String? {
        var parts: [String] = []
        for path in paths {
            var s = stat()
            guard stat(path, &s) == 0 else { return nil }
            #if canImport(Glibc)
            let modified = Int64(s.st_mtim.tv_sec) * 1_000_000_000 + Int64(s.st_mtim.tv_nsec)
            let changed = Int64(s.st_ctim.tv_sec) * 1_000_000_000 + Int64(s.st_ctim.tv_nsec)
            #else
            let modified = Int64(s.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(s.st_mtimespec.tv_nsec)
            let changed = Int64(s.st_ctimespec.tv_sec) * 1_000_000_000 + Int64(s.st_ctimespec.tv_nsec)
            #endif
            parts.append("\(s.st_dev):\(s.st_ino):\(s.st_size):\(modified):\(changed)")
        }
        return parts.joined(separator: ";")
    }
}
