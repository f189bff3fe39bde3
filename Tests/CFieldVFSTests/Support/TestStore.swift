import CFieldVFS
import CSQLite
import Foundation

/// A failure of a fieldvfs key-file call.
struct FieldVFSFailure: Error, CustomStringConvertible {
    let code: Int
    var description: String { "fieldvfs error \(code): \(String(cString: fieldvfs_errstr(Int32(code))))" }
}

/// Small scrypt parameters so tests stay fast; production uses the defaults (log2 N = 16).
let fastKDF = fieldvfs_kdf_params(log2_n: 10, r: 8, p: 1)

/// One encrypted store in its own temporary directory: `store.key` + `store.db` (+ journal, WAL, shm).
final class TestStore: @unchecked Sendable {
    let directory: URL
    var keyPath: String { directory.appendingPathComponent("store.key").path }
    var databasePath: String { directory.appendingPathComponent("store.db").path }

    init() throws {
        _ = fieldvfs_register()
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fieldvfs-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Wraps an existing directory (used for the crash test's directory).
    init(directory: URL) {
        _ = fieldvfs_register()
        self.directory = directory
    }

    deinit {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Creates the key file; returns the raw fieldvfs code.
    @discardableResult
    func createKey(passphrase: String = "correct horse battery", params: fieldvfs_kdf_params = fastKDF) -> Int {
        var params = params
        return Int(fieldvfs_keyfile_create(keyPath, passphrase, passphrase.utf8.count, &params))
    }

    /// Unlocks the key file; returns the raw fieldvfs code and, on success, the slot id.
    func tryUnlock(passphrase: String = "correct horse battery") -> (code: Int, slot: String?) {
        var slot = [CChar](repeating: 0, count: Int(FIELDVFS_SLOT_LEN))
        let rc = Int(fieldvfs_keyfile_unlock(keyPath, passphrase, passphrase.utf8.count, &slot))
        let id = slot.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (rc, rc == FIELDVFS_OK ? id : nil)
    }

    /// Unlocks the key file, throwing on any failure.
    func unlock(passphrase: String = "correct horse battery") throws -> String {
        let result = tryUnlock(passphrase: passphrase)
        guard let slot = result.slot else { throw FieldVFSFailure(code: result.code) }
        return slot
    }

    /// The URI that opens this store through the VFS with the given key slot.
    func uri(slot: String) -> String {
        "file:\(databasePath)?vfs=\(FIELDVFS_NAME)&\(FIELDVFS_KEY_PARAM)=\(slot)"
    }

    /// Opens a prepared connection in the given journal mode ("DELETE" or "WAL").
    func open(slot: String, journalMode: String? = nil) throws -> Connection {
        let connection = try Connection(uri: uri(slot: slot))
        try connection.prepareForVFS()
        if let journalMode {
            let mode = try connection.scalar("PRAGMA journal_mode=\(journalMode)")
            guard mode?.uppercased() == journalMode.uppercased() else {
                throw SQLiteFailure(code: SQLITE_ERROR, message: "journal mode is \(mode ?? "nil")", sql: journalMode)
            }
        }
        return connection
    }

    /// Creates the key file and unlocks it.
    func createAndUnlock() throws -> String {
        let rc = createKey()
        guard rc == FIELDVFS_OK else { throw FieldVFSFailure(code: rc) }
        return try unlock()
    }

    /// Every regular file in the directory with its bytes.
    func snapshot() throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let url = directory.appendingPathComponent(name)
            if let data = try? Data(contentsOf: url) { result[name] = data }
        }
        return result
    }
}

/// Files in `snapshot` whose bytes contain any of `needles`, as "file: needle" strings.
func leaks(in snapshot: [String: Data], of needles: [String]) -> [String] {
    var found: [String] = []
    for (name, data) in snapshot.sorted(by: { $0.key < $1.key }) {
        for needle in needles where data.range(of: Data(needle.utf8)) != nil {
            found.append("\(name): \(needle)")
        }
    }
    return found
}
