import Foundation
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

/// `sync-server` on an SQLite database encrypted at rest (`--encryption-key-file`, `admin create-key`).
@Suite("Encrypted server database")
struct EncryptedDatabaseTests {
    /// A note whose text and subject reference must never reach the disk in the clear.
    static func sensitiveNote(word: String, subject: String, index: Int) -> [String: FieldValue] {
        [
            "subject": .reference(subject), "kind": .string("visit"),
            "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000)),
            "body": .text("Talked about \(word) again, visit \(index)\n"),
        ]
    }

    @Test func notesNeverReachTheDiskInTheClearAndOnlyTheKeyOpensTheDatabase() async throws {
        let root = try TestEnvironment.makeTemporaryDirectory()
        let keys = root.appendingPathComponent("keys")
        let data = root.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: keys, withIntermediateDirectories: true)
        let keyFile = keys.appendingPathComponent("server.key").path
        let database = "sqlite:" + data.appendingPathComponent("server.sqlite").path

        // create-key: mode 0600, never replaced.
        try ServerProcess.run(["admin", "create-key", keyFile])
        let mode = try FileManager.default.attributesOfItem(atPath: keyFile)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let before = try Data(contentsOf: URL(fileURLWithPath: keyFile))
        let again = try CommandResult.run(["admin", "create-key", keyFile])
        #expect(again.status != 0 && again.error.contains("exists already"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: keyFile)) == before)

        let environment = [
            "FIELDSYNC_DATABASE": database, "FIELDSYNC_ENCRYPTION_KEY_FILE": keyFile, "FIELDSYNC_LOG_LEVEL": "warning",
        ]
        let fixture = try AdminFixture(environment: environment)
        let word = "methadone\(UUID().uuidString.prefix(6))"
        let subject = "ung-\(UUID().uuidString.prefix(6).lowercased())"

        let server = try await ServerProcess.start(environment: environment)
        let device: EnrollResponse
        do {
            device = try await fixture.enrolDevice(baseURL: server.baseURL)
            let laptop = InMemoryReplicaStorage(replica: device.replica)
            for index in 0..<30 {
                try await laptop.create(
                    collection: "notes", id: "n\(index)",
                    values: Self.sensitiveNote(word: word, subject: subject, index: index), schema: Schemas.notes)
            }
            let summary = try await SyncClientLiveTests.sync(
                laptop, device: device, team: fixture.team, baseURL: server.baseURL)
            #expect(summary.sent == 30)
            // While the server runs: the database, its WAL and shared memory hold no plaintext.
            #expect(try filesContaining([word, subject], in: data) == [])
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)
        #expect(try filesContaining([word, subject], in: data) == [])

        // The same key reopens it: a new replica of the device pulls every note back.
        let reopened = try await ServerProcess.start(environment: environment)
        do {
            let phone = InMemoryReplicaStorage(replica: device.replica)
            let summary = try await SyncClientLiveTests.sync(
                phone, device: device, team: fixture.team, baseURL: reopened.baseURL)
            #expect(summary.received == 30)
            let body = await phone.record(RecordKey(collection: "notes", id: "n3"))?.value("body")
            #expect(body == .text("Talked about \(word) again, visit 3\n"))
        } catch {
            _ = try? await reopened.stop()
            throw error
        }
        #expect(try await reopened.stop() == 0)

        // Another key, no key, a key file others can read: one clear line each, and nothing is changed.
        let otherKey = keys.appendingPathComponent("other.key").path
        try ServerProcess.run(["admin", "create-key", otherKey])
        let wrong = try CommandResult.run(
            ["serve", "--listen", "127.0.0.1:0"],
            environment: environment.merging(
                ["FIELDSYNC_ENCRYPTION_KEY_FILE": otherKey]) { $1 })
        #expect(wrong.status != 0)
        #expect(wrong.error.contains("cannot decrypt") && wrong.error.contains("wrong key"))
        #expect(!wrong.output.contains("listening"))
        let adminWrong = try CommandResult.run(
            ["admin", "--encryption-key-file", otherKey, "devices"], environment: environment)
        #expect(adminWrong.status != 0 && adminWrong.error.contains("cannot decrypt"))
        #expect(adminWrong.error.split(separator: "\n").count == 1, "one line: \(adminWrong.error)")

        var plainEnvironment = environment
        plainEnvironment["FIELDSYNC_ENCRYPTION_KEY_FILE"] = nil
        let missing = try CommandResult.run(["admin", "devices"], environment: plainEnvironment)
        #expect(missing.status != 0 && missing.error.contains("--encryption-key-file"))

        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: keyFile)
        let open = try CommandResult.run(["admin", "devices"], environment: environment)
        #expect(open.status != 0 && open.error.contains("too open") && open.error.contains("0640"))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keyFile)

        // After all of that the right key still opens it, with the device and its notes.
        let listing = try ServerProcess.run(["admin", "devices"], environment: environment)
        #expect(listing.contains(device.deviceID))
        // The key is printed nowhere.
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).split(separator: " ")[1]
        for result in [again, wrong, adminWrong, missing, open] {
            #expect(!result.output.contains(key) && !result.error.contains(key))
        }
    }

    @Test func plainStaysTheDefaultWithoutAKeyFile() throws {
        let data = try TestEnvironment.makeTemporaryDirectory()
        let path = data.appendingPathComponent("plain.sqlite").path
        let environment = ["FIELDSYNC_DATABASE": "sqlite:" + path, "FIELDSYNC_LOG_LEVEL": "warning"]
        let team = TestEnvironment.uniqueName("plainteam")
        try ServerProcess.run(["admin", "create-team", team], environment: environment)
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: path)).read(upToCount: 16)
        #expect(head == Data("SQLite format 3\0".utf8))
        // The scan the encrypted tests rely on does find plaintext where there is some.
        #expect(try filesContaining([team], in: data) != [])

        // A key given for a plain database is refused, not used to read garbage.
        let keyFile = data.appendingPathComponent("k.key").path
        try ServerProcess.run(["admin", "create-key", keyFile])
        let refused = try CommandResult.run(
            ["admin", "--encryption-key-file", keyFile, "devices"], environment: environment)
        #expect(refused.status != 0 && refused.error.contains("not encrypted"))
    }

    @Test func aDamagedKeyFileIsRefused() throws {
        let directory = try TestEnvironment.makeTemporaryDirectory()
        let keyFile = directory.appendingPathComponent("k.key").path
        try ServerProcess.run(["admin", "create-key", keyFile])
        var text = try String(contentsOfFile: keyFile, encoding: .utf8)
        // Change one hex digit of the key.
        let index = text.index(text.startIndex, offsetBy: "fieldsync-server-key-v1 ".count + 5)
        text.replaceSubrange(index...index, with: text[index] == "0" ? "1" : "0")
        try text.write(toFile: keyFile, atomically: false, encoding: .utf8)
        #expect(throws: StorageError.self) { _ = try DatabaseKey.load(from: keyFile) }
        let result = try CommandResult.run(
            [
                "admin", "--database", "sqlite:" + directory.appendingPathComponent("x.sqlite").path,
                "--encryption-key-file", keyFile, "devices",
            ])
        #expect(result.status != 0 && result.error.contains("damaged"))
    }
}
