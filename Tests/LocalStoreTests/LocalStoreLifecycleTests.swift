import Foundation
import LocalStore
import Testing

@Suite("Store lifecycle")
struct LocalStoreLifecycleTests {
    @Test func createWriteCloseAndReopen() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        let replica = store.replicaID
        try store.addSubject(NewSubject(reference: "ung-0142", displayName: "Sofie"))
        let note = try store.addNote(NewNote(subjectReference: "ung-0142", kind: .walk, body: "Walked to the school"))
        store.close()

        let again = try reopen(dir)
        defer { again.close() }
        #expect(again.replicaID == replica)
        #expect(again.adviser == "mette")
        let loaded = try again.note(id: String(note.id.prefix(6)))
        #expect(loaded.body == "Walked to the school")
        #expect(loaded.subjectReference == "ung-0142")
    }

    @Test func theStoresFilesAreTheOwnersOnly() throws {
        // Even under a permissive umask: the database and its log are 0600 (they used to be 0644, readable by
        // nobody else only because the directory is 0700).
        let previous = umask(0o022)
        defer { umask(previous) }
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.addSubject(NewSubject(reference: "ung-3"))
        for name in ["store.db", "store.db-wal", "store.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: dir.file(name).path)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
            #expect(mode & 0o077 == 0, "\(name) is \(String(mode, radix: 8))")
        }
        store.close()
    }

    @Test func wrongPassphraseIsReportedAndLeavesEveryFileUntouched() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.addSubject(NewSubject(reference: "ung-1"))
        store.close()
        let before = try snapshot(dir.url)
        #expect(throws: LocalStoreError.wrongPassphrase) { try reopen(dir, passphrase: "not the passphrase") }
        #expect(try snapshot(dir.url) == before)
    }

    @Test func missingExistingAndLockedStoresHaveTheirOwnErrors() throws {
        let dir = try TemporaryDirectory()
        #expect(throws: LocalStoreError.storeMissing(dir.url.standardizedFileURL)) { try reopen(dir) }
        let store = try makeStore(dir)
        #expect(throws: LocalStoreError.storeAlreadyExists(dir.url.standardizedFileURL)) { try makeStore(dir) }
        #expect(throws: LocalStoreError.lockedByAnotherProcess(dir.url.standardizedFileURL)) { try reopen(dir) }
        store.close()
        try reopen(dir).close()
    }

    @Test func changingThePassphraseKeepsTheNotes() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        try store.addSubject(NewSubject(reference: "ung-2"))
        store.close()
        try LocalStore.changePassphrase(
            at: dir.url, old: Passphrase(testPassphrase), new: Passphrase("a new one"), kdf: .testing)
        #expect(throws: LocalStoreError.wrongPassphrase) { try reopen(dir) }
        let again = try reopen(dir, passphrase: "a new one")
        defer { again.close() }
        #expect(try again.subjects().map(\.reference) == ["ung-2"])
    }

    @Test(arguments: [LocalStore.JournalMode.wal, .rollback])
    func noMarkerOrSQLiteHeaderReachesTheDisk(journal: LocalStore.JournalMode) throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir, journal: journal)
        let markers = ["MARKERsubjectNAME", "MARKERbodyTEXT", "markertagword", "MARKERplaceTEXT"]
        try store.addSubject(NewSubject(reference: "ung-77", displayName: markers[0]))
        for index in 0..<200 {
            try store.addNote(
                NewNote(
                    subjectReference: "ung-77", kind: .homeVisit, place: markers[3],
                    body: "\(markers[1]) number \(index) " + String(repeating: "filler ", count: 40),
                    tags: [markers[2]]))
        }
        #expect(try store.search("MARKERbody").count == 50)
        // Look while the store is open (WAL and shm present) and after it is closed.
        for phase in ["open", "closed"] {
            if phase == "closed" { store.close() }
            let files = try snapshot(dir.url)
            #expect(files.keys.contains("store.db"))
            #expect(files.keys.contains("store.key"))
            for (name, bytes) in files {
                for marker in markers + ["SQLite format 3"] {
                    #expect(!bytes.contains(marker), "\(name) contains \(marker) (\(phase))")
                }
            }
        }
    }

    @Test func aDamagedDatabaseIsReportedAsDamaged() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir, journal: .rollback)
        try store.addSubject(NewSubject(reference: "ung-3"))
        for index in 0..<50 {
            try store.addNote(NewNote(subjectReference: "ung-3", kind: .phone, body: "call \(index)"))
        }
        store.close()
        let url = dir.file("store.db")
        var bytes = try Data(contentsOf: url)
        // Flip a bit in the middle of the third page.
        bytes[2 * 4096 + 1000] ^= 0x04
        try bytes.write(to: url)
        #expect {
            let again = try reopen(dir, journal: .rollback)
            defer { again.close() }
            try again.verifyIntegrity()
        } throws: { error in
            if case LocalStoreError.damaged = error { return true }
            return false
        }
    }
}

@Suite("Write-ahead log")
struct WriteAheadLogTests {
    @Test(arguments: [true, false])
    func closingTheStoreCheckpointsTheLog(encrypted: Bool) throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir, encrypted: encrypted)
        try store.addSubject(NewSubject(reference: "ung-1"))
        for index in 0..<30 {
            try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "sms \(index)"))
        }
        store.close()
        let wal = dir.file("store.db-wal")
        let walSize = (try? FileManager.default.attributesOfItem(atPath: wal.path)[.size] as? Int) ?? 0
        #expect(walSize == 0, "the WAL still holds \(walSize) bytes after close")
        #expect(try Data(contentsOf: dir.file("store.db")).count > 4096)
    }
}
