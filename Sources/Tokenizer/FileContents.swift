import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole file with a reason a user can act on when it cannot be read ("is a directory",
/// "No such file or directory", ...), instead of Foundation's "error 256". Shared by every loader of
/// the model and data files.
public enum FileContents {
    /// Why `read` failed, in words (no file name: the caller's error names the file).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func read(_ url: URL) throws(Failure) -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw Failure(description: "file not found")
        }
        if isDirectory.boolValue { throw Failure(description: "is a directory, not a file") }
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(description: String(cString: strerror(errno))) }
        close(descriptor)
        do {
            return try Data(contentsOf: url)
        } catch {
            throw Failure(description: "cannot be read")
        }
    }
}
