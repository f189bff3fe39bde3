import CFieldVFS
import CSQLite
// Every file of the VFS tests sees the shared test support (built products, seeded generator, Locked) without
// importing it.
@_exported import FieldsyncTestSupport
import Foundation

/// An SQLite failure with its extended result code and message.
struct SQLiteFailure: Error, CustomStringConvertible {
    let code: Int32
    let message: String
    let sql: String

    /// The primary result code (low byte of the extended code).
    var primaryCode: Int32 { code & 0xff }
    var description: String { "SQLite error \(code) (\(message)) in: \(sql)" }
}

/// SQLITE_IOERR_DATA: the extended code the VFS returns when a page fails authentication.
/// (The C macro is not imported into Swift.)
let sqliteIOErrData: Int32 = SQLITE_IOERR | (32 << 8)

private let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A raw sqlite3 connection, driven through the C API exactly as GRDB would drive it.
final class Connection: @unchecked Sendable {
    let db: OpaquePointer

    /// Opens `uri` (a `file:` URI) with the given flags and extended result codes on.
    init(uri: String, flags: Int32 = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI) throws {
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(uri, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            let code = handle.map { sqlite3_extended_errcode($0) } ?? rc
            sqlite3_close(handle)
            throw SQLiteFailure(code: code, message: message, sql: "open \(uri)")
        }
        db = handle
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, 5000)
    }

    deinit {
        sqlite3_close_v2(db)
    }

    /// Runs `fieldvfs_prepare_connection`, throwing its SQLite error.
    func prepareForVFS() throws {
        let rc = fieldvfs_prepare_connection(db)
        if rc != SQLITE_OK {
            throw SQLiteFailure(code: rc, message: String(cString: sqlite3_errstr(rc)), sql: "prepare_connection")
        }
    }

    /// Executes one or more statements, discarding rows.
    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let message = err.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(db))
            sqlite3_free(err)
            throw SQLiteFailure(code: sqlite3_extended_errcode(db), message: message, sql: sql)
        }
    }

    /// Runs one statement with text bindings and returns every row, each column as text (nil for NULL).
    func query(_ sql: String, _ args: [String] = []) throws -> [[String?]] {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw failure(sql)
        }
        defer { sqlite3_finalize(stmt) }
        for (i, arg) in args.enumerated() {
            sqlite3_bind_text(stmt, Int32(i + 1), arg, -1, sqliteTransient)
        }
        var rows: [[String?]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw failure(sql) }
            let count = sqlite3_column_count(stmt)
            rows.append(
                (0..<count).map { col in
                    sqlite3_column_text(stmt, col).map { String(cString: $0) }
                })
        }
        return rows
    }

    /// The first column of the first row.
    func scalar(_ sql: String, _ args: [String] = []) throws -> String? {
        try query(sql, args).first?.first ?? nil
    }

    private func failure(_ sql: String) -> SQLiteFailure {
        SQLiteFailure(code: sqlite3_extended_errcode(db), message: String(cString: sqlite3_errmsg(db)), sql: sql)
    }
}
