import CFieldVFS
import CSQLite
import Foundation
import Testing

@Suite("Key file: unlock, damage, passphrase change")
struct KeyFileTests {
    /// A store with a few rows, closed; returns the store.
    private func populatedStore(passphrase: String = "correct horse battery") throws -> TestStore {
        let store = try TestStore()
        #expect(store.createKey(passphrase: passphrase) == FIELDVFS_OK)
        let slot = try store.unlock(passphrase: passphrase)
        defer { fieldvfs_slot_release(slot) }
        let c = try store.open(slot: slot, journalMode: "WAL")
        try c.exec("CREATE TABLE t(x TEXT); INSERT INTO t VALUES ('alpha'), ('beta');")
        return store
    }

    private func rows(_ store: TestStore, passphrase: String) throws -> [String] {
        let slot = try store.unlock(passphrase: passphrase)
        defer { fieldvfs_slot_release(slot) }
        let c = try store.open(slot: slot)
        return try c.query("SELECT x FROM t ORDER BY x").map { $0[0] ?? "" }
    }

    @Test("Wrong passphrase: distinct error, every file byte-identical, no slot returned")
    func wrongPassphrase() throws {
        let store = try populatedStore()
        let before = try store.snapshot()
        let result = store.tryUnlock(passphrase: "correct horse batterz")
        #expect(result.code == FIELDVFS_WRONG_PASSPHRASE)
        #expect(result.slot == nil)
        #expect(try store.snapshot() == before)
        #expect(try rows(store, passphrase: "correct horse battery") == ["alpha", "beta"])
    }

    @Test("Tampered, truncated or extended key file is reported as damaged, missing as not found")
    func damagedKeyFile() throws {
        let store = try TestStore()
        #expect(store.createKey() == FIELDVFS_OK)
        let original = try Data(contentsOf: URL(fileURLWithPath: store.keyPath))
        #expect(original.count == 172)
        for offset in [0, 9, 13, 20, 27, 31, 40, 70, 85, 100, 130, 150, 171] {
            var bad = original
            bad[offset] ^= 0x04
            try bad.write(to: URL(fileURLWithPath: store.keyPath))
            #expect(store.tryUnlock().code == FIELDVFS_DAMAGED, "bit flipped at offset \(offset)")
        }
        try original.prefix(100).write(to: URL(fileURLWithPath: store.keyPath))
        #expect(store.tryUnlock().code == FIELDVFS_DAMAGED)
        try (original + Data([0])).write(to: URL(fileURLWithPath: store.keyPath))
        #expect(store.tryUnlock().code == FIELDVFS_DAMAGED)
        try original.write(to: URL(fileURLWithPath: store.keyPath))
        #expect(store.tryUnlock().slot.map { fieldvfs_slot_release($0) } == Int32(FIELDVFS_OK))
        try FileManager.default.removeItem(atPath: store.keyPath)
        #expect(store.tryUnlock().code == FIELDVFS_NOT_FOUND)
    }

    @Test("Create refuses an existing key file and writes mode 0600")
    func createExclusive() throws {
        let store = try TestStore()
        #expect(store.createKey() == FIELDVFS_OK)
        let before = try store.snapshot()
        #expect(store.createKey(passphrase: "other") == FIELDVFS_EXISTS)
        #expect(try store.snapshot() == before)
        let attrs = try FileManager.default.attributesOfItem(atPath: store.keyPath)
        #expect((attrs[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory.path) == ["store.key"])
    }

    @Test("Change passphrase: old one fails, new one opens the same data")
    func changePassphrase() throws {
        let store = try populatedStore(passphrase: "old passphrase")
        var params = fastKDF
        let rc = fieldvfs_keyfile_change_passphrase(store.keyPath, "old passphrase", 14, "new passphrase", 14, &params)
        #expect(Int(rc) == FIELDVFS_OK)
        #expect(store.tryUnlock(passphrase: "old passphrase").code == FIELDVFS_WRONG_PASSPHRASE)
        #expect(try rows(store, passphrase: "new passphrase") == ["alpha", "beta"])

        let before = try store.snapshot()
        let wrong = fieldvfs_keyfile_change_passphrase(store.keyPath, "old passphrase", 14, "x", 1, &params)
        #expect(Int(wrong) == FIELDVFS_WRONG_PASSPHRASE)
        #expect(try store.snapshot() == before)
    }

    @Test("A crash mid-change leaves the old or the new passphrase working")
    func crashDuringChange() throws {
        let store = try populatedStore(passphrase: "old passphrase")
        var params = fastKDF

        // Crash after the new file was written but before it replaced the old one.
        fieldvfs_testing_set_fault(store.keyPath, 1)
        var rc = fieldvfs_keyfile_change_passphrase(store.keyPath, "old passphrase", 14, "new passphrase", 14, &params)
        #expect(Int(rc) == FIELDVFS_IO)
        let names = try FileManager.default.contentsOfDirectory(atPath: store.directory.path)
        #expect(names.contains { $0.hasPrefix("store.key.tmp.") }, "the simulated crash leaves the temporary file")
        #expect(try rows(store, passphrase: "old passphrase") == ["alpha", "beta"])
        #expect(store.tryUnlock(passphrase: "new passphrase").code == FIELDVFS_WRONG_PASSPHRASE)

        // Crash after the rename, before the directory sync.
        fieldvfs_testing_set_fault(store.keyPath, 2)
        rc = fieldvfs_keyfile_change_passphrase(store.keyPath, "old passphrase", 14, "new passphrase", 14, &params)
        #expect(Int(rc) == FIELDVFS_IO)
        #expect(try rows(store, passphrase: "new passphrase") == ["alpha", "beta"])
        #expect(store.tryUnlock(passphrase: "old passphrase").code == FIELDVFS_WRONG_PASSPHRASE)

        // Once the fault is spent, changes work again despite the leftover temporary file.
        fieldvfs_testing_set_fault(nil, 0)
        rc = fieldvfs_keyfile_change_passphrase(store.keyPath, "new passphrase", 14, "third passphrase", 16, &params)
        #expect(Int(rc) == FIELDVFS_OK)
        #expect(try rows(store, passphrase: "third passphrase") == ["alpha", "beta"])
    }

    @Test("Released slots are gone: the URI no longer opens, releasing twice is not found")
    func slotRelease() throws {
        let store = try populatedStore()
        let slot = try store.unlock()
        #expect(slot.count == 32 && slot.allSatisfy(\.isHexDigit))
        #expect(Int(fieldvfs_slot_release(slot)) == FIELDVFS_OK)
        #expect(Int(fieldvfs_slot_release(slot)) == FIELDVFS_NOT_FOUND)
        #expect(throws: SQLiteFailure.self) { _ = try Connection(uri: store.uri(slot: slot)) }
    }
}
