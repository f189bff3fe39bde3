import CFieldVFS
import CSQLite
import Foundation
import Synchronization

/// The scrypt cost of turning a passphrase into the key that wraps the store's data key.
public struct KDFParameters: Sendable, Equatable {
    /// log2 of scrypt's N (CPU/memory cost).
    public var log2N: UInt64
    /// scrypt's block size r (memory per hash grows with it).
    public var r: UInt32
    /// scrypt's parallelism p.
    public var p: UInt32

    /// Creates scrypt parameters of cost 2^`log2N`; `r` and `p` keep scrypt's usual values unless a test needs others.
    public init(log2N: UInt64, r: UInt32 = 8, p: UInt32 = 1) {
        self.log2N = log2N
        self.r = r
        self.p = p
    }

    /// The default for real stores: N = 2^16, r = 8, p = 1 (64 MiB, a fraction of a second).
    public static let standard = KDFParameters(log2N: 16)
    /// A cheap setting for tests only; never for real data.
    public static let testing = KDFParameters(log2N: 10)

    var c: fieldvfs_kdf_params { fieldvfs_kdf_params(log2_n: log2N, r: r, p: p) }
}

/// An unwrapped data key installed in the VFS's in-process key table, referenced from the database URI by an
/// opaque id. Releasing it wipes the key.
final class KeySlot: @unchecked Sendable {
    let id: String
    private let released = Mutex(false)

    private init(id: String) { self.id = id }

    /// A slot installed by the caller, from the id `fieldvfs_*` wrote.
    convenience init(slotID: [CChar]) {
        self.init(id: String(decoding: slotID.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }

    static func registerVFS() throws {
        let code = fieldvfs_register()
        guard code == SQLITE_OK else { throw LocalStoreError.io("cannot register the encrypting VFS (\(code))") }
    }

    static func createKeyFile(at url: URL, passphrase: Passphrase, kdf: KDFParameters) throws {
        var params = kdf.c
        let code = passphrase.withBytes { bytes, count in
            fieldvfs_keyfile_create(url.path, bytes, count, &params)
        }
        try check(code, keyFile: url)
    }

    static func unlock(keyFile url: URL, passphrase: Passphrase) throws -> KeySlot {
        var slot = [CChar](repeating: 0, count: Int(FIELDVFS_SLOT_LEN))
        let code = passphrase.withBytes { bytes, count in
            fieldvfs_keyfile_unlock(url.path, bytes, count, &slot)
        }
        try check(code, keyFile: url)
        return KeySlot(slotID: slot)
    }

    static func changePassphrase(keyFile url: URL, old: Passphrase, new: Passphrase, kdf: KDFParameters) throws {
        var params = kdf.c
        let code = old.withBytes { oldBytes, oldCount in
            new.withBytes { newBytes, newCount in
                fieldvfs_keyfile_change_passphrase(url.path, oldBytes, oldCount, newBytes, newCount, &params)
            }
        }
        try check(code, keyFile: url)
    }

    func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        guard first else { return }
        _ = fieldvfs_slot_release(id)
    }

    deinit { release() }

    /// Whether the file system holding `directory` has no room left for a small file.
    static func isFull(_ directory: URL) -> Bool {
        var info = statvfs()
        guard statvfs(directory.path, &info) == 0 else { return false }
        return UInt64(info.f_bavail) * UInt64(info.f_bsize) < 64 * 1024
    }

    private static func check(_ code: Int32, keyFile url: URL) throws {
        switch Int(code) {
        case Int(FIELDVFS_OK): return
        case Int(FIELDVFS_WRONG_PASSPHRASE): throw LocalStoreError.wrongPassphrase
        case Int(FIELDVFS_DAMAGED): throw LocalStoreError.damaged("key file \(url.lastPathComponent)")
        case Int(FIELDVFS_NOT_FOUND): throw LocalStoreError.storeMissing(url.deletingLastPathComponent())
        case Int(FIELDVFS_EXISTS): throw LocalStoreError.storeAlreadyExists(url.deletingLastPathComponent())
        case Int(FIELDVFS_IO) where isFull(url.deletingLastPathComponent()):
            throw LocalStoreError.diskFull
        default: throw LocalStoreError.io("key file \(url.path): \(String(cString: fieldvfs_errstr(code)))")
        }
    }
}
