import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Writes a file so that readers see either the old file or the complete new one: the bytes go to a
/// temporary file in the destination's directory, which ``commit()`` flushes to disk and renames over the
/// destination. Dropped without a commit, the temporary file is removed.
public final class AtomicFileWriter {
    public enum Failure: Error { case system(String) }

    public let destination: URL
    private let temporaryPath: String
    private var descriptor: Int32
    private var committed = false

    public init(destination: URL) throws {
        self.destination = destination
        let directory = destination.deletingLastPathComponent().path
        let name = destination.lastPathComponent
        var generator = SystemRandomNumberGenerator()
        let suffix = String(generator.next() as UInt64, radix: 36)
        temporaryPath = (directory as NSString).appendingPathComponent(".\(name).\(getpid()).\(suffix).tmp")
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure.system("create \(temporaryPath): " + Self.lastError()) }
    }

    deinit {
        if !committed {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporaryPath)
        }
    }

    private static func lastError() -> String { String(cString: strerror(errno)) }

    /// Appends `bytes` at the current end of the file.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            guard let base = bytes.baseAddress else { return }
            let written = systemWrite(descriptor, base + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure.system(Self.lastError())
            }
            offset += written
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Writes `bytes` at `offset` without moving the end of the file (for a header patched at the end).
    func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { buffer in
            var done = 0
            while done < buffer.count {
                guard let base = buffer.baseAddress else { return }
                let written = pwrite(descriptor, base + done, buffer.count - done, off_t(offset + done))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Failure.system(Self.lastError())
                }
                done += written
            }
        }
    }

    /// Flushes, closes and renames the temporary file over the destination.
    public func commit() throws {
        guard fsync(descriptor) == 0 else { throw Failure.system("fsync: " + Self.lastError()) }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else { throw Failure.system("close: " + Self.lastError()) }
        guard rename(temporaryPath, destination.path) == 0 else {
            throw Failure.system("rename to \(destination.path): " + Self.lastError())
        }
        committed = true
    }
}

extension AtomicFileWriter.Failure: CustomStringConvertible {
    public var description: String {
        switch self { case .system(let message): message }
    }
}
