import CFieldVFS
import Foundation

/// A store's data key, unwrapped from its key file once and held in this process's memory, so the store can be
/// opened and closed again without the passphrase's key derivation (see ``LocalStore/unlock(at:passphrase:)``).
///
/// Holding a key holds no lock on the store. The key is wiped when the value is released or on ``wipe()``;
/// a store opened with it must be closed first.
public final class StoreKey: Sendable {
    /// Bytes of ``withMaterial(_:)``: the 32-byte data key, then the 16-byte database id it belongs to.
    public static let materialLength = 48

    let slot: KeySlot
    /// The store directory the key was unwrapped for.
    public let directory: URL

    init(slot: KeySlot, directory: URL) {
        self.slot = slot
        self.directory = directory
    }

    /// Lends the key material (data key and database id) to `body`, for handing to an unlock agent of the same
    /// user; the copy is wiped when `body` returns. Never write it to a file or a log.
    public func withMaterial<T>(_ body: (UnsafeRawBufferPointer) throws -> T) throws -> T {
        var material = [UInt8](repeating: 0, count: Self.materialLength)
        defer { material.withUnsafeMutableBytes { explicit_bzero($0.baseAddress!, $0.count) } }
        let code = material.withUnsafeMutableBufferPointer { buffer in
            fieldvfs_slot_export(slot.id, buffer.baseAddress!, buffer.baseAddress! + 32)
        }
        guard code == FIELDVFS_OK else { throw LocalStoreError.closed }
        return try material.withUnsafeBytes(body)
    }

    /// A key from material that ``withMaterial(_:)`` gave out, for the store in `directory`; nil when the
    /// material belongs to another database (the store was created anew since).
    public static func importing(_ material: UnsafeRawBufferPointer, for directory: URL) throws -> StoreKey? {
        guard material.count == materialLength else { return nil }
        let location = StoreLocation(directory: directory)
        var databaseID = [UInt8](repeating: 0, count: 16)
        let read = fieldvfs_keyfile_database_id(location.keyURL.path, &databaseID)
        switch Int(read) {
        case Int(FIELDVFS_OK): break
        case Int(FIELDVFS_NOT_FOUND): throw LocalStoreError.storeMissing(location.directory)
        default: throw LocalStoreError.damaged("key file \(location.keyURL.lastPathComponent)")
        }
        guard databaseID.elementsEqual(material[32..<48]) else { return nil }
        try KeySlot.registerVFS()
        let bytes = material.bindMemory(to: UInt8.self)
        var slot = [CChar](repeating: 0, count: Int(FIELDVFS_SLOT_LEN))
        guard fieldvfs_slot_import(bytes.baseAddress!, bytes.baseAddress! + 32, &slot) == FIELDVFS_OK else {
            throw LocalStoreError.io("cannot install the store's key")
        }
        return StoreKey(slot: KeySlot(slotID: slot), directory: location.directory)
    }

    /// Wipes the key from memory now. Safe to call more than once.
    public func wipe() { slot.release() }

    deinit { slot.release() }
}
