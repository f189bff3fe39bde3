import Foundation
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

/// `sync-server admin backup` while a server serves, and `admin restore` after it stopped.
@Suite("Server backup and restore")
struct BackupRestoreTests {
    @Test func aBackupTakenWhileServingRestoresThatState() async throws {
        let root = try TestEnvironment.makeTemporaryDirectory()
        let data = root.appendingPathComponent("data")
        let backups = root.appendingPathComponent("backups")
        try FileManager.default.createDirectory(at: backups, withIntermediateDirectories: true)
        let keyFile = root.appendingPathComponent("server.key").path
        try ServerProcess.run(["admin", "create-key", keyFile])
        let environment = [
            "FIELDSYNC_DATABASE": "sqlite:" + data.appendingPathComponent("server.sqlite").path,
            "FIELDSYNC_ENCRYPTION_KEY_FILE": keyFile, "FIELDSYNC_LOG_LEVEL": "warning",
        ]
        let fixture = try AdminFixture(environment: environment)
        let backupFile = backups.appendingPathComponent("server-backup.sqlite").path
        let word = "relapse\(UUID().uuidString.prefix(6))"
        let subject = "ung-\(UUID().uuidString.prefix(6).lowercased())"

        let server = try await ServerProcess.start(environment: environment)
        let device: EnrollResponse
        let laptop: InMemoryReplicaStorage
        do {
            device = try await fixture.enrolDevice(baseURL: server.baseURL)
            laptop = InMemoryReplicaStorage(replica: device.replica)
            try await Self.write(laptop, ids: (0..<40).map { "a\($0)" }, word: word, subject: subject)
            try await SyncClientLiveTests.sync(laptop, device: device, team: fixture.team, baseURL: server.baseURL)

            // Online: the server keeps serving (a push runs while the copy is taken).
            let pushing = Task {
                try await Self.write(laptop, ids: (0..<5).map { "during\($0)" }, word: word, subject: subject)
                try await SyncClientLiveTests.sync(
                    laptop, device: device, team: fixture.team, baseURL: server.baseURL)
            }
            let backup = try CommandResult.run(["admin", "backup", "--to", backupFile], environment: environment)
            try await pushing.value
            #expect(backup.status == 0, "backup failed: \(backup.error)")
            #expect(backup.output.contains("backed up") && backup.output.contains("encrypted"))
            #expect(try filesContaining([word, subject], in: backups) == [])
            #expect(
                try FileManager.default.attributesOfItem(atPath: backupFile)[.posixPermissions] as? Int == 0o600)
            // A backup never replaces a file.
            let again = try CommandResult.run(["admin", "backup", "--to", backupFile], environment: environment)
            #expect(again.status != 0 && again.error.contains("exists already"))

            try await Self.write(laptop, ids: (0..<20).map { "b\($0)" }, word: word, subject: subject)
            try await SyncClientLiveTests.sync(laptop, device: device, team: fixture.team, baseURL: server.baseURL)

            // Not while the server has the database open.
            let refused = try CommandResult.run(["admin", "restore", "--from", backupFile], environment: environment)
            #expect(refused.status != 0 && refused.error.contains("in use"), "\(refused.error)")
            // Nor may a second server open the same SQLite file.
            let second = try CommandResult.run(["serve", "--listen", "127.0.0.1:0"], environment: environment)
            #expect(second.status != 0 && second.error.contains("in use") && !second.output.contains("listening"))
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)

        // What the backup holds: the 40 notes, and those of the concurrent push if it committed first.
        let restore = try CommandResult.run(["admin", "restore", "--from", backupFile], environment: environment)
        #expect(restore.status == 0, "restore failed: \(restore.error)")
        #expect(restore.output.contains("restored 1 teams"))
        #expect(restore.output.contains("continue \(SQLiteStorage.restorePositionGap) above"))
        let restoredCount = try #require(Self.recordCount(in: restore.output))
        #expect(restoredCount == 40 || restoredCount == 45)

        let restarted = try await ServerProcess.start(environment: environment)
        do {
            let fresh = InMemoryReplicaStorage(replica: device.replica)
            try await SyncClientLiveTests.sync(fresh, device: device, team: fixture.team, baseURL: restarted.baseURL)
            let ids = Set(await fresh.records().map(\.key.id))
            let before = Set((0..<40).map { "a\($0)" })
            #expect(ids == before || ids == before.union((0..<5).map { "during\($0)" }))
            #expect(ids.count == restoredCount)
            #expect(ids.isDisjoint(with: (0..<20).map { "b\($0)" }), "notes written after the backup are gone")
            // ...but the device that wrote them after the backup still holds them.
            #expect(await laptop.records().count == 65)

            // That device's cursor is past the backup's positions, but not past the restored sequence: it
            // carries on, and receives every change made after the restore.
            try await SyncClientLiveTests.sync(laptop, device: device, team: fixture.team, baseURL: restarted.baseURL)
            let other = try await fixture.enrolDevice(baseURL: restarted.baseURL)
            let phone = InMemoryReplicaStorage(replica: other.replica)
            try await Self.write(phone, ids: (0..<30).map { "c\($0)" }, word: word, subject: subject)
            try await SyncClientLiveTests.sync(phone, device: other, team: fixture.team, baseURL: restarted.baseURL)
            try await SyncClientLiveTests.sync(laptop, device: device, team: fixture.team, baseURL: restarted.baseURL)
            #expect(await laptop.records().filter { $0.key.id.hasPrefix("c") }.count == 30)
        } catch {
            _ = try? await restarted.stop()
            throw error
        }
        #expect(try await restarted.stop() == 0)
        #expect(try filesContaining([word, subject], in: data) == [])
    }

    @Test func aPlainDatabaseIsEncryptedThroughABackupAndARestore() throws {
        let root = try TestEnvironment.makeTemporaryDirectory()
        let path = root.appendingPathComponent("server.sqlite").path
        let plain = ["FIELDSYNC_DATABASE": "sqlite:" + path, "FIELDSYNC_LOG_LEVEL": "warning"]
        let team = TestEnvironment.uniqueName("plainteam")
        try ServerProcess.run(["admin", "create-team", team], environment: plain)
        let keyFile = root.appendingPathComponent("server.key").path
        try ServerProcess.run(["admin", "create-key", keyFile])

        let copy = root.appendingPathComponent("encrypted.sqlite").path
        try ServerProcess.run(
            ["admin", "backup", "--to", copy, "--to-encryption-key-file", keyFile], environment: plain)
        var encrypted = plain
        encrypted["FIELDSYNC_ENCRYPTION_KEY_FILE"] = keyFile
        try ServerProcess.run(["admin", "restore", "--from", copy], environment: encrypted)

        #expect(try filesContaining([team], in: root) == [])
        let teams = try CommandResult.run(["admin", "create-team", team], environment: encrypted)
        #expect(teams.error.contains("exists already"), "the restored database holds the team: \(teams.error)")
        let withoutKey = try CommandResult.run(["admin", "devices"], environment: plain)
        #expect(withoutKey.status != 0 && withoutKey.error.contains("--encryption-key-file"))

        // Key rotation is the same two steps with a new key.
        let newKey = root.appendingPathComponent("server-2.key").path
        try ServerProcess.run(["admin", "create-key", newKey])
        let rotated = root.appendingPathComponent("rotated.sqlite").path
        try ServerProcess.run(
            ["admin", "backup", "--to", rotated, "--to-encryption-key-file", newKey], environment: encrypted)
        var underNewKey = encrypted
        underNewKey["FIELDSYNC_ENCRYPTION_KEY_FILE"] = newKey
        try ServerProcess.run(["admin", "restore", "--from", rotated], environment: underNewKey)
        let again = try CommandResult.run(["admin", "create-team", team], environment: underNewKey)
        #expect(again.error.contains("exists already"))
        let oldKey = try CommandResult.run(["admin", "devices"], environment: encrypted)
        #expect(oldKey.status != 0 && oldKey.error.contains("cannot decrypt"))
    }

    static func write(_ replica: InMemoryReplicaStorage, ids: [String], word: String, subject: String) async throws {
        for (index, id) in ids.enumerated() {
            try await replica.create(
                collection: "notes", id: id,
                values: EncryptedDatabaseTests.sensitiveNote(word: word, subject: subject, index: index),
                schema: Schemas.notes)
        }
    }

    /// The record count from a summary line: `... 1 teams, 40 records (...`.
    static func recordCount(in output: String) -> Int? {
        guard let range = output.range(of: " records") else { return nil }
        return Int(output[..<range.lowerBound].split(separator: " ").last ?? "")
    }
}
