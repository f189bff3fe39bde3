// The floor under every figure of this benchmark: the same rows written with SQLite's C API directly, into the
// same schema, with no encryption, no Swift record model and no sync, 1,000 rows per transaction, prepared
// statements. Sync can at best approach it.
import CSQLite
import Foundation

/// Copies what a store holds (record states, note rows and their search rows) into a second store file of the
/// same schema with nothing but prepared `INSERT`s, and returns how long the inserts took.
///
/// `source` and `target` are plain (unencrypted) `store.db` files; `target` has the schema and no rows.
func rawSQLiteInsertSeconds(source: String, target: String) throws -> (seconds: Double, records: Int) {
    let from = try RawDatabase(path: source)
    let records = try from.rows("SELECT collection, id, state FROM record ORDER BY rowid")
    let notes = try from.rows(
        """
        SELECT n.subjectID, n.kind, n.occurredAt, n.place, n.body, n.tags, n.followUp, n.author, n.device,
            n.hasConflict, n.updatedAt, n.id, f.tags, f.subject
        FROM note n JOIN note_fts f ON f.rowid = n.rowid ORDER BY n.rowid
        """)
    let to = try RawDatabase(path: target)
    try to.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768")
    let insertRecord = try to.prepare("INSERT INTO record (collection, id, state) VALUES (?, ?, ?)")
    let insertNote = try to.prepare(
        """
        INSERT INTO note (subjectID, kind, occurredAt, place, body, tags, followUp, author, device, hasConflict,
            updatedAt, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """)
    let insertSearch = try to.prepare(
        "INSERT INTO note_fts (rowid, body, tags, place, subject) VALUES (?, ?, ?, ?, ?)")
    let clock = ContinuousClock()
    let start = clock.now
    var noteIndex = 0
    for (index, record) in records.enumerated() {
        if index % 1_000 == 0 { try to.execute("BEGIN") }
        try to.run(insertRecord, record)
        if record[0] == .text("notes"), noteIndex < notes.count {
            let note = notes[noteIndex]
            noteIndex += 1
            try to.run(insertNote, Array(note[0..<12]))
            try to.run(insertSearch, [.integer(to.lastRowID), note[4], note[12], note[3], note[13]])
        }
        if index % 1_000 == 999 || index == records.count - 1 { try to.execute("COMMIT") }
    }
    return (seconds(clock.now - start), records.count)
}

/// A bare SQLite connection, enough for the baseline.
final class RawDatabase {
    enum Value: Equatable {
        case null, integer(Int64), text(String), blob([UInt8])
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var handle: OpaquePointer?
    private var statements: [OpaquePointer] = []

    init(path: String) throws {
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE, nil) == SQLITE_OK else {
            throw Failure(description: "cannot open \(path)")
        }
    }

    deinit {
        for statement in statements { sqlite3_finalize(statement) }
        sqlite3_close_v2(handle)
    }

    var lastRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    func check(_ code: Int32, _ what: String) throws {
        guard code == SQLITE_OK || code == SQLITE_DONE || code == SQLITE_ROW else {
            throw Failure(description: "\(what): \(String(cString: sqlite3_errmsg(handle)))")
        }
    }

    func execute(_ sql: String) throws {
        try check(sqlite3_exec(handle, sql, nil, nil, nil), sql)
    }

    func prepare(_ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        try check(sqlite3_prepare_v2(handle, sql, -1, &statement, nil), sql)
        guard let statement else { throw Failure(description: "empty statement: \(sql)") }
        statements.append(statement)
        return statement
    }

    func run(_ statement: OpaquePointer, _ values: [Value]) throws {
        sqlite3_reset(statement)
        for (index, value) in values.enumerated() {
            let position = Int32(index + 1)
            switch value {
            case .null: sqlite3_bind_null(statement, position)
            case .integer(let number): sqlite3_bind_int64(statement, position, number)
            case .text(let text): sqlite3_bind_text(statement, position, text, -1, transient)
            case .blob(let bytes): sqlite3_bind_blob(statement, position, bytes, Int32(bytes.count), transient)
            }
        }
        try check(sqlite3_step(statement), "step")
    }

    func rows(_ sql: String) throws -> [[Value]] {
        let statement = try prepare(sql)
        var result: [[Value]] = []
        while true {
            let code = sqlite3_step(statement)
            if code == SQLITE_DONE { break }
            try check(code, sql)
            result.append(
                (0..<sqlite3_column_count(statement)).map { column in
                    switch sqlite3_column_type(statement, column) {
                    case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, column))
                    case SQLITE_TEXT: return .text(String(cString: sqlite3_column_text(statement, column)))
                    case SQLITE_BLOB:
                        let count = Int(sqlite3_column_bytes(statement, column))
                        guard count > 0, let bytes = sqlite3_column_blob(statement, column) else { return .blob([]) }
                        return .blob(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
                    default: return .null
                    }
                })
        }
        return result
    }

    /// SQLite copies bound values at once (`SQLITE_TRANSIENT`).
    private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
}
