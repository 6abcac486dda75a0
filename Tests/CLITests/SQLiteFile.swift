import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Read-only queries on a SQLite file written by `embedtune encode`, so tests can look inside the
/// database the binary wrote. CLITests depends on no package module, so the system libsqlite3 is
/// loaded with `dlopen` and the few C functions needed are looked up by name
/// (https://sqlite.org/c3ref/intro.html).
final class SQLiteFile {
    private typealias Open = @convention(c) (
        UnsafePointer<CChar>?, UnsafeMutablePointer<OpaquePointer?>?, Int32, UnsafePointer<CChar>?
    ) -> Int32
    private typealias Prepare = @convention(c) (
        OpaquePointer?, UnsafePointer<CChar>?, Int32, UnsafeMutablePointer<OpaquePointer?>?,
        UnsafeMutablePointer<UnsafePointer<CChar>?>?
    ) -> Int32
    private typealias Handle = @convention(c) (OpaquePointer?) -> Int32
    private typealias Column = @convention(c) (OpaquePointer?, Int32) -> Int32
    private typealias ColumnBlob = @convention(c) (OpaquePointer?, Int32) -> UnsafeRawPointer?
    private typealias BusyTimeout = @convention(c) (OpaquePointer?, Int32) -> Int32
    private typealias ErrorMessage = @convention(c) (OpaquePointer?) -> UnsafePointer<CChar>?

    private static let readOnly: Int32 = 0x01  // SQLITE_OPEN_READONLY
    private static let row: Int32 = 100  // SQLITE_ROW
    private static let done: Int32 = 101  // SQLITE_DONE
    private static let null: Int32 = 5  // SQLITE_NULL

    private let library: UnsafeMutableRawPointer
    private var db: OpaquePointer?
    let path: String

    /// Opens read-only; with `create`, read-write (creating the file), so a test can build a database of
    /// its own with `rows` (e.g. another program's tables).
    init(path: String, create: Bool = false) throws {
        guard let library = dlopen("libsqlite3.so.0", RTLD_NOW) ?? dlopen("libsqlite3.so", RTLD_NOW) else {
            throw CLITestError("cannot load libsqlite3: \(String(cString: dlerror()))")
        }
        self.library = library
        self.path = path
        let open: Open = try Self.function(library, "sqlite3_open_v2")
        guard open(path, &db, create ? 0x02 | 0x04 : Self.readOnly, nil) == 0 else { throw CLITestError("\(path): sqlite3_open_v2 failed") }
        let busy: BusyTimeout = try Self.function(library, "sqlite3_busy_timeout")
        _ = busy(db, 10_000)
    }

    deinit {
        if let close: Handle = try? Self.function(library, "sqlite3_close") { _ = close(db) }
        dlclose(library)
    }

    /// Every row of `sql`, each column's bytes (text as UTF-8, blobs as stored), nil for NULL.
    func rows(_ sql: String) throws -> [[Data?]] {
        let prepare: Prepare = try Self.function(library, "sqlite3_prepare_v2")
        let step: Handle = try Self.function(library, "sqlite3_step")
        let finalize: Handle = try Self.function(library, "sqlite3_finalize")
        let columnCount: Handle = try Self.function(library, "sqlite3_column_count")
        let columnType: Column = try Self.function(library, "sqlite3_column_type")
        let columnBytes: Column = try Self.function(library, "sqlite3_column_bytes")
        let columnBlob: ColumnBlob = try Self.function(library, "sqlite3_column_blob")
        let message: ErrorMessage = try Self.function(library, "sqlite3_errmsg")
        var statement: OpaquePointer?
        guard prepare(db, sql, -1, &statement, nil) == 0 else {
            throw CLITestError("\(path): \(sql): \(message(db).map { String(cString: $0) } ?? "?")")
        }
        defer { _ = finalize(statement) }
        var out: [[Data?]] = []
        while true {
            let status = step(statement)
            if status == Self.done { return out }
            guard status == Self.row else {
                throw CLITestError("\(path): \(sql): \(message(db).map { String(cString: $0) } ?? "?")")
            }
            out.append((0..<columnCount(statement)).map { c -> Data? in
                guard columnType(statement, c) != Self.null else { return nil }
                let n = Int(columnBytes(statement, c))
                guard n > 0, let bytes = columnBlob(statement, c) else { return Data() }
                return Data(bytes: bytes, count: n)
            })
        }
    }

    /// The first column of the first row as an integer (e.g. a COUNT).
    func integer(_ sql: String) throws -> Int {
        guard let first = try rows(sql).first?.first, let bytes = first, let value = Int(String(decoding: bytes, as: UTF8.self))
        else { throw CLITestError("\(path): \(sql) gave no integer") }
        return value
    }

    private static func function<F>(_ library: UnsafeMutableRawPointer, _ name: String) throws -> F {
        guard let symbol = dlsym(library, name) else { throw CLITestError("libsqlite3 has no \(name)") }
        return unsafeBitCast(symbol, to: F.self)
    }
}

/// The documents of an encoded database in rowid order: id, title, text, content hash, vector blob.
func documentRows(_ path: String) throws -> [[Data?]] {
    try SQLiteFile(path: path).rows("SELECT id, title, text, content_hash, embedding FROM documents ORDER BY rowid")
}
