import CFieldVFS
import CSQLite
import Foundation

/// Runs the reference SQL scripts inside this process through the system libsqlite3, on a plain file or through
/// the `fieldvfs` VFS. This is the engine-level twin of the SQLCipher shell runs: the same SQL, no Swift layer,
/// so the VFS's own cost can be set beside SQLCipher's codec cost.
///
/// `CFieldVFS` is imported here through LocalStore's dependency on it (SwiftPM exposes a dependency's C modules
/// to its dependents).
final class SQLiteScriptRunner {
    /// A data key for the VFS, installed in a key slot for the whole reference run.
    final class VFSKey {
        let slot: String

        init(keyFile: URL) throws {
            guard fieldvfs_register() == SQLITE_OK else { throw ReferenceFailure("cannot register fieldvfs") }
            // The KDF is not part of this measurement: the cheapest cost the key file accepts keeps set-up quick.
            var params = fieldvfs_kdf_params(log2_n: 10, r: 8, p: 1)
            let passphrase = "bench-store reference"
            var code = fieldvfs_keyfile_create(keyFile.path, passphrase, passphrase.utf8.count, &params)
            guard code == FIELDVFS_OK else {
                throw ReferenceFailure("fieldvfs key file: \(String(cString: fieldvfs_errstr(code)))")
            }
            var buffer = [CChar](repeating: 0, count: Int(FIELDVFS_SLOT_LEN))
            code = fieldvfs_keyfile_unlock(keyFile.path, passphrase, passphrase.utf8.count, &buffer)
            guard code == FIELDVFS_OK else {
                throw ReferenceFailure("fieldvfs unlock: \(String(cString: fieldvfs_errstr(code)))")
            }
            slot = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }

        deinit { _ = fieldvfs_slot_release(slot) }
    }

    private var connection: OpaquePointer?

    /// Opens `database`, encrypted when `key` is given, with the same settings LocalStore uses.
    init(database: URL, key: VFSKey?, journalPragmas: String) throws {
        let uri =
            key.map { "file:\(database.path)?vfs=\(FIELDVFS_NAME)&\(FIELDVFS_KEY_PARAM)=\($0.slot)" }
            ?? "file:\(database.path)"
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI
        let code = sqlite3_open_v2(uri, &connection, flags, nil)
        guard code == SQLITE_OK else {
            sqlite3_close(connection)
            throw ReferenceFailure("cannot open \(database.lastPathComponent): SQLite code \(code)")
        }
        if key != nil {
            let prepared = fieldvfs_prepare_connection(connection)
            guard prepared == SQLITE_OK else {
                sqlite3_close(connection)
                throw ReferenceFailure("fieldvfs_prepare_connection failed with SQLite code \(prepared)")
            }
        } else {
            try execute("PRAGMA page_size = 4096; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0;")
        }
        try execute(journalPragmas)
    }

    deinit { sqlite3_close(connection) }

    /// Runs every statement of `sql`, converting each result row to text as a shell would.
    func execute(_ sql: String) throws {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(connection, sql, { _, _, _, _ in 0 }, nil, &message)
        guard code == SQLITE_OK else {
            let text = message.map { String(cString: $0) } ?? "SQLite code \(code)"
            sqlite3_free(message)
            throw ReferenceFailure("in-process SQLite: \(text)")
        }
    }

    /// Runs `script` line by line on `first` and `second` in turn and returns the seconds each line took on each.
    /// A line is one timed unit, as with the shell's `.timer`. The two connections alternate line by line (and
    /// which goes first alternates too), so load from other processes falls on both alike.
    static func timeLines(
        of script: URL, on first: SQLiteScriptRunner, and second: SQLiteScriptRunner
    ) throws
        -> (first: [Double], second: [Double])
    {
        let data = try Data(contentsOf: script, options: .alwaysMapped)
        var times: (first: [Double], second: [Double]) = ([], [])
        var start = data.startIndex
        var turn = 0
        while start < data.endIndex {
            let end = data[start...].firstIndex(of: 0x0A) ?? data.endIndex
            let line = String(decoding: data[start..<end], as: UTF8.self)
            start = end < data.endIndex ? end + 1 : end
            guard !line.isEmpty else { continue }
            let order = turn % 2 == 0 ? [first, second] : [second, first]
            var seconds: [Double] = []
            for runner in order {
                let (_, duration) = try measure { try runner.execute(line) }
                seconds.append(duration.inSeconds)
            }
            times.first.append(turn % 2 == 0 ? seconds[0] : seconds[1])
            times.second.append(turn % 2 == 0 ? seconds[1] : seconds[0])
            turn += 1
        }
        return times
    }

    /// The version of the libsqlite3 this process runs on.
    static var libraryVersion: String { String(cString: sqlite3_libversion()) }
}
