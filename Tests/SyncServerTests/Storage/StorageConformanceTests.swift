import Foundation
import SyncProtocol
import SyncServer
import Testing

/// The storage contract, checked on both backends with the same tests.
///
/// Record bodies here are plain JSON strings and the merge step is "store when different", so these tests
/// check the storage's own duties (transactions, sequence, ownership, audit) apart from the record merge.
@Suite("Storage conformance")
struct StorageConformanceTests {
    static func body(_ text: String) -> Data { Data("\"\(text)\"".utf8) }

    /// A merge step that stores the incoming body when it differs from the stored one.
    static func replace(
        with bodies: [Data], routing: RecordRouting? = nil
    ) -> @Sendable (Int, StoredState?, SubjectScopeLookup) throws -> MergeStep<Bool> {
        { index, stored, _ in
            let incoming = bodies[index]
            return stored?.body == incoming
                ? MergeStep(newBody: nil, outcome: false)
                : MergeStep(newBody: incoming, routing: routing, outcome: true)
        }
    }

    static func audit(_ device: String = "dev-test", action: AuditAction = .push) -> AuditEvent {
        AuditEvent(at: Date(), action: action, deviceID: device, adviser: "adv", team: nil)
    }

    @Test(arguments: Backend.enabled)
    func migrationsAreRepeatableAndKeepTheServerReplica(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let first = try await storage.serverReplica()
            try await storage.migrate()
            #expect(try await storage.serverReplica() == first)
            #expect(ReplicaID.isValid(first))
        }
    }

    @Test(arguments: Backend.enabled)
    func teamsAndAdvisers(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let team = TestEnvironment.uniqueName("team")
            let created = try await storage.createTeam(named: team, at: Date())
            #expect(created.name == team)
            await #expect(throws: StorageError.teamExists(team)) {
                _ = try await storage.createTeam(named: team, at: Date())
            }
            await #expect(throws: StorageError.self) {
                _ = try await storage.createTeam(named: "no spaces", at: Date())
            }
            #expect(try await storage.teams().contains { $0.name == team })

            let missing = TestEnvironment.uniqueName("missing")
            await #expect(throws: StorageError.teamNotFound(missing)) {
                try await storage.addAdviser(named: "anna", toTeam: missing, canPurge: nil, at: Date())
            }
            let adviser = TestEnvironment.uniqueName("adviser")
            try await storage.addAdviser(named: adviser, toTeam: team, canPurge: nil, at: Date())
            try await storage.addAdviser(named: adviser, toTeam: team, canPurge: nil, at: Date())
            await #expect(throws: StorageError.adviserNotFound("nobody-\(team)")) {
                try await storage.storeEnrolmentCode(
                    digest: "x", adviser: "nobody-\(team)", expiresAt: Date().addingTimeInterval(60), at: Date())
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func enrolmentCodesWorkOnceAndExpire(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let (team, adviser) = (TestEnvironment.uniqueName("team"), TestEnvironment.uniqueName("adviser"))
            _ = try await storage.createTeam(named: team, at: Date())
            try await storage.addAdviser(named: adviser, toTeam: team, canPurge: true, at: Date())
            let code = Secrets.makeEnrolmentCode()
            try await storage.storeEnrolmentCode(
                digest: Secrets.enrolmentCodeDigest(code), adviser: adviser,
                expiresAt: Date().addingTimeInterval(3_600), at: Date())

            let token = Secrets.makeDeviceToken()
            let device = NewDevice(
                id: "dev-\(UUID().uuidString)", replica: ReplicaID.random().rawValue, label: "laptop",
                tokenDigest: Secrets.tokenDigest(token))
            // Case and dashes do not matter when typing a code.
            let typed = code.lowercased().replacingOccurrences(of: "-", with: "")
            let identity = try await storage.redeemEnrolmentCode(
                digest: Secrets.enrolmentCodeDigest(typed), device: device, at: Date())
            #expect(identity.adviser == adviser)
            #expect(identity.teams == [team])
            #expect(identity.canPurge)

            let second = NewDevice(
                id: "dev-\(UUID().uuidString)", replica: ReplicaID.random().rawValue, label: "phone",
                tokenDigest: Secrets.tokenDigest(Secrets.makeDeviceToken()))
            await #expect(throws: StorageError.invalidEnrolmentCode) {
                _ = try await storage.redeemEnrolmentCode(
                    digest: Secrets.enrolmentCodeDigest(code), device: second, at: Date())
            }

            let expired = Secrets.makeEnrolmentCode()
            try await storage.storeEnrolmentCode(
                digest: Secrets.enrolmentCodeDigest(expired), adviser: adviser,
                expiresAt: Date().addingTimeInterval(-1), at: Date().addingTimeInterval(-60))
            await #expect(throws: StorageError.invalidEnrolmentCode) {
                _ = try await storage.redeemEnrolmentCode(
                    digest: Secrets.enrolmentCodeDigest(expired), device: second, at: Date())
            }

            let found = try #require(await storage.device(tokenDigest: Secrets.tokenDigest(token)))
            #expect(found.deviceID == device.id && found.replica == device.replica && !found.revoked)
            #expect(try await storage.device(tokenDigest: Secrets.tokenDigest("not-a-token")) == nil)

            try await storage.revokeDevice(id: device.id, at: Date())
            #expect(try await storage.device(tokenDigest: Secrets.tokenDigest(token))?.revoked == true)
            await #expect(throws: StorageError.deviceNotFound("dev-none")) {
                try await storage.revokeDevice(id: "dev-none", at: Date())
            }
            let listed = try await storage.devices().first { $0.id == device.id }
            #expect(listed?.revoked == true && listed?.label == "laptop")
        }
    }

    @Test(arguments: Backend.enabled)
    func pushAssignsSequenceNumbersOnlyToChanges(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let team = TestEnvironment.uniqueName("team")
            _ = try await storage.createTeam(named: team, at: Date())
            let keys = (0..<5).map { RecordKey(collection: "notes", id: "n\($0)-\(team)") }
            let bodies = (0..<5).map { Self.body("v1-\($0)") }

            let first = try await storage.applyPush(
                team: team, keys: keys, subjects: [], checkpoint: nil, audit: Self.audit(),
                merge: Self.replace(with: bodies))
            #expect(first.outcomes == Array(repeating: true, count: 5))
            #expect(first.written == 5 && first.lastSeq == 5)

            // The same batch again changes nothing: idempotent.
            let again = try await storage.applyPush(
                team: team, keys: keys, subjects: [], checkpoint: nil, audit: Self.audit(),
                merge: Self.replace(with: bodies))
            #expect(again.written == 0 && again.lastSeq == 5)
            #expect(try await storage.lastSeq(team: team) == 5)

            // Changing two records moves them to the end of the sequence.
            var changed = bodies
            changed[1] = Self.body("v2-1")
            changed[3] = Self.body("v2-3")
            let second = try await storage.applyPush(
                team: team, keys: keys, subjects: [], checkpoint: nil, audit: Self.audit(),
                merge: Self.replace(with: changed))
            #expect(second.written == 2 && second.lastSeq == 7)

            let all = try await storage.pull(
                team: team, after: 0, limit: 100, version: 2, audit: Self.audit(action: .pull))
            #expect(all.records.map(\.key) == [keys[0], keys[2], keys[4], keys[1], keys[3]])
            #expect(all.records.map(\.seq) == [1, 3, 5, 6, 7])
            #expect(all.records[3].body == changed[1])
            #expect(!all.hasMore && all.nextSeq == 7 && all.lastSeq == 7)

            let page = try await storage.pull(
                team: team, after: 3, limit: 2, version: 2, audit: Self.audit(action: .pull))
            #expect(page.records.map(\.seq) == [5, 6] && page.hasMore && page.nextSeq == 6)
            let empty = try await storage.pull(
                team: team, after: 7, limit: 2, version: 2, audit: Self.audit(action: .pull))
            #expect(empty.records.isEmpty && !empty.hasMore && empty.nextSeq == 7)

            await #expect(throws: StorageError.teamNotFound("nope-\(team)")) {
                _ = try await storage.pull(team: "nope-\(team)", after: 0, limit: 1, version: 2, audit: Self.audit())
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func aFailedPushWritesNothing(_ backend: Backend) async throws {
        struct Refused: Error {}
        try await backend.withStorage { storage in
            let team = TestEnvironment.uniqueName("team")
            _ = try await storage.createTeam(named: team, at: Date())
            let keys = (0..<3).map { RecordKey(collection: "notes", id: "f\($0)-\(team)") }
            await #expect(throws: Refused.self) {
                _ = try await storage.applyPush(
                    team: team, keys: keys, subjects: [], checkpoint: nil, audit: Self.audit()
                ) {
                    index, _, _ in
                    if index == 2 { throw Refused() }
                    return MergeStep(newBody: Self.body("x\(index)"), outcome: true)
                }
            }
            #expect(try await storage.lastSeq(team: team) == 0)
            let page = try await storage.pull(
                team: team, after: 0, limit: 10, version: 2, audit: Self.audit(action: .pull))
            #expect(page.records.isEmpty)
        }
    }

    @Test(arguments: Backend.enabled)
    func aRecordIsRoutedToTheTeamsThatReadIt(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let (north, south) = (TestEnvironment.uniqueName("north"), TestEnvironment.uniqueName("south"))
            _ = try await storage.createTeam(named: north, at: Date())
            _ = try await storage.createTeam(named: south, at: Date())
            func feed(_ team: String, after: Int64 = 0) async throws -> [StoredRecord] {
                try await storage.pull(
                    team: team, after: after, limit: 50, version: 2, audit: Self.audit(action: .pull)
                ).records
            }
            // A record without routing stays with its home team, and the merge step sees home and readers.
            let key = RecordKey(collection: "subjects", id: "s-\(north)")
            _ = try await storage.applyPush(
                team: north, keys: [key], subjects: [], checkpoint: nil, audit: Self.audit(),
                merge: Self.replace(with: [Self.body("v1")]))
            #expect(try await feed(north).map(\.key) == [key])
            #expect(try await feed(south).isEmpty)
            _ = try await storage.applyPush(
                team: south, keys: [key], subjects: [], checkpoint: nil, audit: Self.audit()
            ) { _, stored, _ in
                #expect(stored?.home == north && stored?.readers == [north])
                return MergeStep(newBody: nil, outcome: false)
            }

            // A note about the subject, read by both teams once the subject is.
            let note = RecordKey(collection: "notes", id: "n-\(north)")
            _ = try await storage.applyPush(
                team: north, keys: [note], subjects: [key.id], checkpoint: nil, audit: Self.audit(),
                merge: Self.replace(
                    with: [Self.body("note")], routing: RecordRouting(scope: [north, south], subject: key.id)))
            #expect(try await feed(south).isEmpty, "the subject is not shared with south yet")

            // Sharing the subject brings it and its note to south, without changing the note.
            _ = try await storage.applyPush(
                team: north, keys: [key], subjects: [], checkpoint: nil, audit: Self.audit(),
                merge: Self.replace(with: [Self.body("v2")], routing: RecordRouting(scope: [north, south])))
            let southFeed = try await feed(south)
            #expect(Set(southFeed.map(\.key)) == [key, note] && southFeed.allSatisfy { !$0.removed })
            #expect(southFeed.first { $0.key == note }?.body == Self.body("note"))
            let northAfterShare = try await storage.lastSeq(team: north)

            // North leaves: its feed lists both as removed, south keeps reading them.
            _ = try await storage.applyPush(
                team: north, keys: [key], subjects: [], checkpoint: nil, audit: Self.audit(),
                merge: Self.replace(with: [Self.body("v3")], routing: RecordRouting(scope: [south])))
            let removals = try await feed(north, after: northAfterShare)
            #expect(Set(removals.map(\.key)) == [key, note] && removals.allSatisfy(\.removed))
            #expect(removals.allSatisfy { $0.body.isEmpty })
            #expect(try await feed(north).allSatisfy(\.removed))
            #expect(try await feed(south).allSatisfy { !$0.removed })
            // A version-1 reader is told nothing of removals.
            let legacy = try await storage.pull(
                team: north, after: 0, limit: 50, version: 1, audit: Self.audit(action: .pull))
            #expect(legacy.records.isEmpty)
            // The removal is audited for the team that lost access.
            let removedEvents = try await storage.auditEvents(touching: [note.description]).filter {
                $0.action == .remove
            }
            #expect(removedEvents.map(\.team) == [north])
            #expect(try await storage.notes(aboutSubject: key.id) == [note])
        }
    }

    @Test(arguments: Backend.enabled)
    func partnersAreMutual(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let (north, south) = (TestEnvironment.uniqueName("north"), TestEnvironment.uniqueName("south"))
            _ = try await storage.createTeam(named: north, at: Date())
            _ = try await storage.createTeam(named: south, at: Date())
            #expect(try await storage.partners(of: north).isEmpty)
            try await storage.addPartner(team: north, with: south, at: Date())
            try await storage.addPartner(team: south, with: north, at: Date())
            #expect(try await storage.partners(of: north) == [south])
            #expect(try await storage.partners(of: south) == [north])
            await #expect(throws: StorageError.teamNotFound("nope-\(north)")) {
                try await storage.addPartner(team: north, with: "nope-\(north)", at: Date())
            }
        }
    }

    @Test(arguments: Backend.enabled)
    func pushesAndPullsAreAudited(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let team = TestEnvironment.uniqueName("team")
            _ = try await storage.createTeam(named: team, at: Date())
            let device = "dev-\(UUID().uuidString)"
            let key = RecordKey(collection: "notes", id: "a-\(team)")
            _ = try await storage.applyPush(
                team: team, keys: [key], subjects: [], checkpoint: nil, audit: Self.audit(device),
                merge: Self.replace(with: [Self.body("x")]))
            _ = try await storage.pull(
                team: team, after: 0, limit: 10, version: 2, audit: Self.audit(device, action: .pull))
            let events = try await storage.auditEvents(limit: 500).filter { $0.deviceID == device }
            #expect(events.map(\.action) == [.pull, .push])
            #expect(events.allSatisfy { $0.recordIDs == [key.description] && $0.team == team })
        }
    }

    @Test(arguments: Backend.enabled)
    func theTeamDirectoryListsEveryDeviceOfItsAdvisersAndIsAudited(_ backend: Backend) async throws {
        try await backend.withStorage { storage in
            let (team, other) = (TestEnvironment.uniqueName("team"), TestEnvironment.uniqueName("other"))
            let (lars, mette) = (TestEnvironment.uniqueName("lars"), TestEnvironment.uniqueName("mette"))
            let outsider = TestEnvironment.uniqueName("outsider")
            for name in [team, other] { _ = try await storage.createTeam(named: name, at: Date()) }
            for adviser in [lars, mette] {
                try await storage.addAdviser(named: adviser, toTeam: team, canPurge: nil, at: Date())
            }
            try await storage.addAdviser(named: outsider, toTeam: other, canPurge: nil, at: Date())

            /// Enrols a device with a chosen replica id through a one-time code, as the enrol route does.
            func enrol(_ adviser: String, _ label: String, replica: String) async throws -> String {
                let code = Secrets.makeEnrolmentCode()
                try await storage.storeEnrolmentCode(
                    digest: Secrets.enrolmentCodeDigest(code), adviser: adviser,
                    expiresAt: Date().addingTimeInterval(600), at: Date())
                let device = NewDevice(
                    id: "dev-\(UUID().uuidString)", replica: replica, label: label,
                    tokenDigest: Secrets.tokenDigest(Secrets.makeDeviceToken()))
                return try await storage.redeemEnrolmentCode(
                    digest: Secrets.enrolmentCodeDigest(code), device: device, at: Date()
                ).deviceID
            }
            // Replica ids that sort differently by bytes than by a locale ("Z" < "a" < "b" in byte order).
            let suffix = ReplicaID.random().rawValue.prefix(8)
            let (upper, lower, last) = ("Z\(suffix)", "a\(suffix)", "b\(suffix)")
            let larsLaptop = try await enrol(lars, "laptop", replica: lower)
            let larsPhone = try await enrol(lars, "phone", replica: upper)
            _ = try await enrol(mette, "Mettes bærbare", replica: last)
            _ = try await enrol(outsider, "laptop", replica: "c\(suffix)")
            try await storage.revokeDevice(id: larsPhone, at: Date())

            let entries = try await storage.teamDirectory(
                team: team,
                audit: AuditEvent(
                    at: Date(), action: .directory, deviceID: larsLaptop, adviser: lars, team: nil))
            #expect(
                entries == [
                    DirectoryEntry(adviser: lars, label: "phone", replica: upper, revoked: true),
                    DirectoryEntry(adviser: lars, label: "laptop", replica: lower, revoked: false),
                    DirectoryEntry(adviser: mette, label: "Mettes bærbare", replica: last, revoked: false),
                ])
            let audited = try await storage.auditEvents(limit: 50).first { $0.deviceID == larsLaptop }
            #expect(audited?.action == .directory && audited?.team == team && audited?.outcome == "ok")
            #expect(audited?.detail == "devices=3")

            let unknown = TestEnvironment.uniqueName("unknown")
            #expect(try await storage.teamDirectory(team: unknown, audit: Self.audit(action: .directory)).isEmpty)
        }
    }

    /// Concurrent pushes to one team, from separate storage instances (like separate server processes),
    /// while a reader pulls: sequence numbers come out strictly increasing without gaps, and the reader,
    /// following its cursor, sees every record's final state.
    @Test(arguments: Backend.enabled)
    func concurrentPushesNeverHideAChangeFromAPull(_ backend: Backend) async throws {
        let writers = 4
        let batches = 12
        let team = TestEnvironment.uniqueName("team")
        let storages = try (0..<writers).map { _ in try backend.makeStorage() }
        // SQLite is one file per storage here, so its writers share the first instance; PostgreSQL writers
        // each get their own connection pool.
        let writerStorages: [any SyncStorage] =
            backend == .sqlite ? Array(repeating: storages[0], count: writers) : storages
        try await withThrowingTaskGroup(of: Void.self) { group in
            for storage in (backend == .sqlite ? [storages[0]] : storages) {
                group.addTask { try await storage.run() }
            }
            defer { group.cancelAll() }
            try await storages[0].migrate()
            _ = try await storages[0].createTeam(named: team, at: Date())

            let seen = try await withThrowingTaskGroup(of: [RecordKey: Data].self) { inner in
                for writer in 0..<writers {
                    inner.addTask {
                        for batch in 0..<batches {
                            let keys = (0..<3).map { RecordKey(collection: "notes", id: "w\(writer)-\($0)-\(team)") }
                            let bodies = keys.map { Self.body("\($0.id)-b\(batch)") }
                            _ = try await writerStorages[writer].applyPush(
                                team: team, keys: keys, subjects: [], checkpoint: nil, audit: Self.audit(),
                                merge: Self.replace(with: bodies))
                        }
                        return [:]
                    }
                }
                // The reader: follows the cursor until every writer is done and a last pull is empty.
                inner.addTask {
                    var state: [RecordKey: Data] = [:]
                    var cursor: Int64 = 0
                    var quietRounds = 0
                    while quietRounds < 3 {
                        let page = try await writerStorages[0].pull(
                            team: team, after: cursor, limit: 7, version: 2, audit: Self.audit(action: .pull))
                        #expect(page.records.map(\.seq) == page.records.map(\.seq).sorted())
                        #expect(page.records.allSatisfy { $0.seq > cursor })
                        for record in page.records { state[record.key] = record.body }
                        cursor = page.nextSeq
                        let total = try await writerStorages[0].lastSeq(team: team)
                        quietRounds =
                            (page.records.isEmpty && total == Int64(writers * batches * 3)) ? quietRounds + 1 : 0
                        if page.records.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
                    }
                    return state
                }
                var merged: [RecordKey: Data] = [:]
                for try await partial in inner { merged.merge(partial) { $1 } }
                return merged
            }
            #expect(try await storages[0].lastSeq(team: team) == Int64(writers * batches * 3))
            #expect(seen.count == writers * 3)
            for (key, body) in seen {
                #expect(body == Self.body("\(key.id)-b\(batches - 1)"), "stale state for \(key)")
            }
        }
    }
}
