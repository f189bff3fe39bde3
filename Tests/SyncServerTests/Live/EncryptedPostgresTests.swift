import Foundation
import SyncClient
import SyncProtocol
import SyncProtocolTesting
import SyncServer
import Testing

/// `sync-server` on PostgreSQL with `--encryption-key-file`: every record's content is sealed before it leaves the
/// server process (PostgresStorage+Sealing.swift), so a `pg_dump` holds no note text and no subject reference.
@Suite(
    "Encrypted PostgreSQL records",
    .enabled(if: TestEnvironment.postgresEnabled, TestEnvironment.postgresSkipReason))
struct EncryptedPostgresTests {
    /// What one test writes: a subject with a distinctive reference and notes about it with a distinctive word.
    struct Writing {
        let word = "methadone\(UUID().uuidString.prefix(6).lowercased())"
        let reference = "ung-\(UUID().uuidString.prefix(6).lowercased())"
        let displayName = "Kasper\(UUID().uuidString.prefix(6).lowercased())"
        let subjectID = UUID().uuidString.lowercased()

        func write(notes: Range<Int>, to replica: InMemoryReplicaStorage) async throws {
            if notes.lowerBound == 0 {
                try await replica.create(
                    collection: "subjects", id: subjectID,
                    values: ["reference": .string(reference), "displayName": .string(displayName)],
                    schema: Schemas.subjects)
            }
            for index in notes {
                try await replica.create(
                    collection: "notes", id: "n\(index)-\(subjectID.prefix(8))",
                    values: EncryptedDatabaseTests.sensitiveNote(word: word, subject: subjectID, index: index),
                    schema: Schemas.notes)
            }
        }

        func noteBody(_ index: Int) -> FieldValue { .text("Talked about \(word) again, visit \(index)\n") }
        func noteKey(_ index: Int) -> RecordKey {
            RecordKey(collection: "notes", id: "n\(index)-\(subjectID.prefix(8))")
        }

        /// The plaintexts no byte of the database may hold.
        var secrets: [String] { [word, reference, displayName] }
    }

    @Test func notesNeverReachPostgresInTheClearAndOnlyTheKeyReadsThem() async throws {
        let database = try ScratchPostgres.create()
        defer { database.drop() }
        let keys = try TestEnvironment.makeTemporaryDirectory()
        let keyFile = keys.appendingPathComponent("server.key").path
        try ServerProcess.run(["admin", "create-key", keyFile])
        let environment = [
            "FIELDSYNC_DATABASE": database.url, "FIELDSYNC_ENCRYPTION_KEY_FILE": keyFile,
            "FIELDSYNC_LOG_LEVEL": "error",
        ]
        let fixture = try AdminFixture(environment: environment)
        let writing = Writing()

        let server = try await ServerProcess.start(environment: environment)
        let device: EnrollResponse
        do {
            device = try await fixture.enrolDevice(baseURL: server.baseURL)
            let laptop = InMemoryReplicaStorage(replica: device.replica)
            try await writing.write(notes: 0..<30, to: laptop)
            let summary = try await SyncClientLiveTests.sync(
                laptop, device: device, team: fixture.team, baseURL: server.baseURL)
            #expect(summary.sent == 31)

            // While the server runs: the dump holds neither the words nor the reference, nor ties a note to
            // its subject; it does hold what is in the clear by design (team names, record ids).
            let dump = try database.dump()
            for secret in writing.secrets { #expect(!dump.contains(secret), "the dump holds a plaintext") }
            #expect(dump.contains(fixture.team) && dump.contains(writing.noteKey(3).id))
            let noteRows = ScratchPostgres.copyRows(of: "records", in: dump).filter { $0.hasPrefix("notes\t") }
            #expect(noteRows.count == 30)
            #expect(noteRows.allSatisfy { !$0.contains(writing.subjectID) }, "a note row names its subject")

            // A second replica of the device pulls every note back in the clear.
            let phone = InMemoryReplicaStorage(replica: device.replica)
            let pulled = try await SyncClientLiveTests.sync(
                phone, device: device, team: fixture.team, baseURL: server.baseURL)
            #expect(pulled.received == 31)
            #expect(await phone.record(writing.noteKey(3))?.value("body") == writing.noteBody(3))
            let subject = await phone.record(RecordKey(collection: "subjects", id: writing.subjectID))
            #expect(subject?.value("reference") == .string(writing.reference))
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)

        // Nor does any file of the PostgreSQL cluster (tables, indexes, WAL), once a checkpoint wrote them out.
        if let cluster = ProcessInfo.processInfo.environment["FIELDSYNC_TEST_POSTGRES_DIR"] {
            try database.psql("CHECKPOINT")
            let data = URL(fileURLWithPath: cluster).appendingPathComponent("data")
            #expect(try ScratchPostgres.filesContaining(writing.secrets, under: data) == [])
            // The scan finds what is in the clear by design, so its silence means something.
            #expect(try ScratchPostgres.filesContaining([fixture.team], under: data) != [])
        }

        // The storage still finds a subject's notes through the blind index.
        let sealer = try DatabaseKey.load(from: keyFile).recordSealer
        let storage = try PostgresStorage(
            url: database.url, maximumConnections: 2, sealer: sealer, logger: TestEnvironment.logger)
        let notes = try await storage.withRunning { try await $0.notes(aboutSubject: writing.subjectID) }
        #expect(notes.count == 30)

        // Another key, no key: one clear line each, naming key ids, never the key; nothing is changed.
        let otherKey = keys.appendingPathComponent("other.key").path
        try ServerProcess.run(["admin", "create-key", otherKey])
        let otherID = try DatabaseKey.load(from: otherKey).recordSealer.keyID
        let wrong = try CommandResult.run(
            ["serve", "--listen", "127.0.0.1:0"],
            environment: environment.merging(["FIELDSYNC_ENCRYPTION_KEY_FILE": otherKey]) { $1 })
        #expect(wrong.status != 0 && !wrong.output.contains("listening"))
        #expect(wrong.error.contains("cannot decrypt") && wrong.error.contains("wrong key"), "\(wrong.error)")
        #expect(wrong.error.contains(sealer.keyID) && wrong.error.contains(otherID))
        let adminWrong = try CommandResult.run(
            ["admin", "--encryption-key-file", otherKey, "devices"], environment: environment)
        #expect(adminWrong.status != 0 && adminWrong.error.contains("wrong key"))
        #expect(adminWrong.error.split(separator: "\n").count == 1, "one line: \(adminWrong.error)")
        var plain = environment
        plain["FIELDSYNC_ENCRYPTION_KEY_FILE"] = nil
        let missing = try CommandResult.run(["admin", "devices"], environment: plain)
        #expect(missing.status != 0 && missing.error.contains("--encryption-key-file"))
        #expect(missing.error.contains(sealer.keyID))
        #expect(missing.error.split(separator: "\n").count == 1, "one line: \(missing.error)")
        let plainServer = try CommandResult.run(["serve", "--listen", "127.0.0.1:0"], environment: plain)
        #expect(plainServer.status != 0 && plainServer.error.contains("are encrypted"))

        let key = try String(contentsOfFile: keyFile, encoding: .utf8).split(separator: " ")[1]
        for result in [wrong, adminWrong, missing, plainServer] {
            #expect(!result.output.contains(key) && !result.error.contains(key))
            for secret in writing.secrets { #expect(!result.error.contains(secret)) }
        }
        // After all of that the right key still serves the device.
        #expect(try ServerProcess.run(["admin", "devices"], environment: environment).contains(device.deviceID))
    }

    @Test func aDatabaseInTheClearIsEncryptedByEncryptRecordsAndItsKeyRotates() async throws {
        let database = try ScratchPostgres.create()
        defer { database.drop() }
        let keys = try TestEnvironment.makeTemporaryDirectory()
        let firstKey = keys.appendingPathComponent("first.key").path
        let secondKey = keys.appendingPathComponent("second.key").path
        try ServerProcess.run(["admin", "create-key", firstKey])
        try ServerProcess.run(["admin", "create-key", secondKey])
        let plain = ["FIELDSYNC_DATABASE": database.url, "FIELDSYNC_LOG_LEVEL": "error"]
        let first = plain.merging(["FIELDSYNC_ENCRYPTION_KEY_FILE": firstKey]) { $1 }
        let second = plain.merging(["FIELDSYNC_ENCRYPTION_KEY_FILE": secondKey]) { $1 }
        let fixture = try AdminFixture(environment: plain)
        let writing = Writing()

        // Written in the clear: the scan finds the words, so its silence below means something.
        var server = try await ServerProcess.start(environment: plain)
        let device: EnrollResponse
        do {
            device = try await fixture.enrolDevice(baseURL: server.baseURL)
            let laptop = InMemoryReplicaStorage(replica: device.replica)
            try await writing.write(notes: 0..<10, to: laptop)
            _ = try await SyncClientLiveTests.sync(laptop, device: device, team: fixture.team, baseURL: server.baseURL)
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)
        let clear = try database.dump()
        #expect(writing.secrets.allSatisfy { clear.contains($0) })

        // A key for records in the clear is refused until they are encrypted.
        let early = try CommandResult.run(["serve", "--listen", "127.0.0.1:0"], environment: first)
        #expect(early.status != 0 && early.error.contains("stored in the clear"))
        #expect(early.error.contains("encrypt-records"))

        let encrypted = try CommandResult.run(
            ["admin", "encrypt-records", "--to-encryption-key-file", firstKey], environment: plain)
        #expect(encrypted.status == 0, "\(encrypted.error)")
        #expect(encrypted.output.contains("encrypted 11 records"), "\(encrypted.output)")
        let again = try CommandResult.run(
            ["admin", "encrypt-records", "--to-encryption-key-file", firstKey], environment: first)
        #expect(again.status == 0 && again.output.contains("nothing to do"), "\(again.output) \(again.error)")
        var dump = try database.dump()
        for secret in writing.secrets { #expect(!dump.contains(secret), "the dump holds a plaintext") }
        let noteRows = ScratchPostgres.copyRows(of: "records", in: dump).filter { $0.hasPrefix("notes\t") }
        #expect(noteRows.count == 10 && noteRows.allSatisfy { !$0.contains(writing.subjectID) })
        let plainAfter = try CommandResult.run(["admin", "devices"], environment: plain)
        #expect(plainAfter.status != 0 && plainAfter.error.contains("are encrypted"))

        // Served with the key: another device pulls everything, and its new notes are sealed too.
        server = try await ServerProcess.start(environment: first)
        do {
            let phoneDevice = try await AdminFixture.enrolDevice(
                adviser: fixture.adviser, environment: first, baseURL: server.baseURL)
            let phone = InMemoryReplicaStorage(replica: phoneDevice.replica)
            try await writing.write(notes: 10..<12, to: phone)
            let summary = try await SyncClientLiveTests.sync(
                phone, device: phoneDevice, team: fixture.team, baseURL: server.baseURL)
            #expect(summary.sent == 2 && summary.received >= 11)
            #expect(await phone.record(writing.noteKey(4))?.value("body") == writing.noteBody(4))
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)

        // Rotation: sealed again under the second key; the first no longer opens the database.
        let rotated = try CommandResult.run(
            ["admin", "encrypt-records", "--to-encryption-key-file", secondKey], environment: first)
        #expect(rotated.status == 0, "\(rotated.error)")
        #expect(rotated.output.contains("encrypted 13 records"), "\(rotated.output)")
        let old = try CommandResult.run(["admin", "devices"], environment: first)
        #expect(old.status != 0 && old.error.contains("wrong key"))
        dump = try database.dump()
        for secret in writing.secrets { #expect(!dump.contains(secret), "the dump holds a plaintext") }

        server = try await ServerProcess.start(environment: second)
        do {
            let tablet = InMemoryReplicaStorage(replica: device.replica)
            let summary = try await SyncClientLiveTests.sync(
                tablet, device: device, team: fixture.team, baseURL: server.baseURL)
            #expect(summary.received == 13)
            #expect(await tablet.record(writing.noteKey(11))?.value("body") == writing.noteBody(11))
        } catch {
            _ = try? await server.stop()
            throw error
        }
        #expect(try await server.stop() == 0)
        let sealer = try DatabaseKey.load(from: secondKey).recordSealer
        let storage = try PostgresStorage(
            url: database.url, maximumConnections: 2, sealer: sealer, logger: TestEnvironment.logger)
        #expect(try await storage.withRunning { try await $0.notes(aboutSubject: writing.subjectID) }.count == 12)
    }

    /// A row changed in the database (its envelope moved to another record) is refused, not served.
    @Test func aSealedBodyMovedToAnotherRowIsRefused() async throws {
        let database = try ScratchPostgres.create()
        defer { database.drop() }
        let sealer = RecordSealer(key: (0..<32).map { UInt8($0) }, keyFile: "test.key")
        let storage = try PostgresStorage(
            url: database.url, maximumConnections: 2, sealer: sealer, logger: TestEnvironment.logger)
        try await Backend.$sealedPostgres.withValue((database.url, sealer)) {
            try await APIHarness.run(.postgres) { api in
                let laptop = try await api.enrol("laptop")
                let me = laptop.replica
                let subject = try ScopeAPITests.subject("s1", by: me)
                let notes = try (1...2).map { try ScopeAPITests.note("n\($0)", about: "s1", by: me) }
                #expect(try await api.push([subject] + notes, as: laptop).status == .ok)
            }
        }
        try database.psql("UPDATE records SET sealed = (SELECT sealed FROM records WHERE id = 'n1') WHERE id = 'n2'")
        let error = await #expect(throws: StorageError.self) {
            try await storage.withRunning { try await $0.records(inCollection: "notes") }
        }
        #expect(error?.description.contains("notes/n2") == true)
        #expect(error?.description.contains("does not authenticate") == true)
    }

    /// The shared storage and scope tests, run over a database whose records are sealed: routing, fan-out of a
    /// subject's scope to its notes (through the blind index), removals, duplicates.
    @Test func theSharedStorageAndScopeTestsPassOnSealedRecords() async throws {
        let database = try ScratchPostgres.create()
        defer { database.drop() }
        let sealer = RecordSealer(key: (0..<32).map { UInt8(255 - $0) }, keyFile: "test.key")
        try await Backend.$sealedPostgres.withValue((database.url, sealer)) {
            let storage = StorageConformanceTests()
            try await storage.migrationsAreRepeatableAndKeepTheServerReplica(.postgres)
            try await storage.pushAssignsSequenceNumbersOnlyToChanges(.postgres)
            try await storage.aFailedPushWritesNothing(.postgres)
            try await storage.aRecordIsRoutedToTheTeamsThatReadIt(.postgres)
            try await storage.pushesAndPullsAreAudited(.postgres)
            try await storage.concurrentPushesNeverHideAChangeFromAPull(.postgres)
            let scopes = ScopeAPITests()
            try await scopes.sharingNeedsAPartnerAndConsentAndEndsOnTheDevices(.postgres)
            try await scopes.aHandoversOverlapEndsOnItsDay(.postgres)
            try await scopes.theServerFindsDuplicateSubjectsUntilTheyAreMerged(.postgres)
        }
        // Everything those tests wrote is sealed.
        #expect(try database.psql("SELECT count(*) FROM records WHERE sealed IS NULL OR body <> ''") == "0")
        #expect(try database.psql("SELECT count(*) > 0 FROM records") == "t")
    }
}

extension AdminFixture {
    /// Issues an enrolment code with `admin enrolment-code` under `environment` (e.g. another key) and redeems it.
    static func enrolDevice(
        adviser: String, environment: [String: String], baseURL: String
    ) async throws
        -> EnrollResponse
    {
        let output = try ServerProcess.run(
            ["admin", "enrolment-code", "--adviser", adviser, "--expires", "10m"], environment: environment)
        guard let code = output.split(separator: "\n").last.map(String.init) else {
            throw TestSetupError("admin enrolment-code printed no code")
        }
        let transport = try HTTPSyncTransport(configuration: .init(baseURL: baseURL), logger: TestEnvironment.logger)
        defer { Task { try? await transport.shutdown() } }
        return try await transport.enroll(EnrollRequest(code: code, deviceName: "phone"))
    }
}

/// A PostgreSQL database of its own, next to the shared test database (same server), dropped afterwards.
struct ScratchPostgres {
    let url: String
    let name: String
    let adminURL: String

    static let binDirectory = "/usr/lib/postgresql/15/bin"

    static func create() throws -> ScratchPostgres {
        guard let shared = TestEnvironment.postgresURL, var components = URLComponents(string: shared) else {
            throw TestSetupError("FIELDSYNC_TEST_POSTGRES_URL is not set (run through scripts/postgres-test.sh)")
        }
        let name = "fs_sealed_\(UUID().uuidString.prefix(8).lowercased())"
        let scratch = ScratchPostgres(url: "", name: name, adminURL: shared)
        _ = try scratch.run("psql", [shared, "-qAtc", "CREATE DATABASE \(name)"])
        components.path = "/" + name
        return ScratchPostgres(url: components.string!, name: name, adminURL: shared)
    }

    func drop() {
        _ = try? run("psql", [adminURL, "-qAtc", "DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
    }

    /// `pg_dump` in plain SQL: every table's rows as text.
    func dump() throws -> String {
        try run("pg_dump", ["--no-owner", url])
    }

    /// Runs one statement; returns its output, unaligned, without headers.
    @discardableResult
    func psql(_ statement: String) throws -> String {
        try run("psql", [url, "-qAtc", statement]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The data lines of a table's `COPY ... FROM stdin` block in a plain dump.
    static func copyRows(of table: String, in dump: String) -> [String] {
        var rows: [String] = []
        var inside = false
        for line in dump.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("COPY public.\(table) ") {
                inside = true
            } else if inside {
                if line == "\\." { break }
                rows.append(String(line))
            }
        }
        return rows
    }

    /// The files under `directory` (recursively) that contain one of `needles`.
    static func filesContaining(_ needles: [String], under directory: URL) throws -> [String] {
        var offenders: [String] = []
        let files = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        while let file = files?.nextObject() as? URL {
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                let data = try? Data(contentsOf: file, options: .alwaysMapped)
            else { continue }
            for needle in needles where data.range(of: Data(needle.utf8)) != nil {
                offenders.append(file.path)
            }
        }
        return offenders
    }

    private func run(_ tool: String, _ arguments: [String]) throws -> String {
        let path = Self.binDirectory + "/" + tool
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw TestSetupError("\(path) is missing: install PostgreSQL 15 (scripts/postgres-test.sh does)")
        }
        // Through the shared runner: launched from a thread of its own, both pipes drained, with a deadline.
        let result = try ProcessRunner().run(URL(fileURLWithPath: path), arguments, timeout: 120)
        guard result.status == 0 else {
            throw TestSetupError("\(tool) exited with \(result.status)")
        }
        return result.stdout
    }
}
