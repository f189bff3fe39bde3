import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

/// Protocol version 2 over HTTP: sharing a young person's course with a partner team, with consent; what each
/// team then reads; access that ends (withdrawn, or due after a handover) reaching the devices as removals.
@Suite("HTTP API: scopes (protocol version 2)")
struct ScopeAPITests {
    static func subject(_ id: String, reference: String = "ung-0142", by replica: ReplicaID) throws -> Record {
        try Record.create(
            collection: "subjects", id: id, values: ["reference": .string(reference)], by: replica,
            schema: Schemas.subjects)
    }

    static func note(_ id: String, about subject: String, by replica: ReplicaID) throws -> Record {
        try Record.create(
            collection: "notes", id: id,
            values: [
                "subject": .reference(subject), "kind": .string("walk"),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000)),
                "body": .text("Talked about the school.\n"),
            ],
            by: replica, schema: Schemas.notes)
    }

    static func page(_ response: TestResponse) throws -> PullPage {
        try #require(response.status == .ok, "\(response.text)")
        return try WireCoding.decode(PullPage.self, from: response.data)
    }

    static func code(_ response: TestResponse) -> ErrorCode? { response.errorBody?.code }

    @Test(arguments: Backend.enabled)
    func sharingNeedsAPartnerAndConsentAndEndsOnTheDevices(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let north = api.team
            let laptop = try await api.enrol("laptop")
            let (south, theirs) = try await api.enrolOutsider("jobcentre laptop")
            let me = laptop.replica

            var subject = try Self.subject("s-\(north)", by: me)
            var note = try Self.note("n-\(north)", about: subject.id, by: me)
            #expect(try await api.push([subject, note], as: laptop).status == .ok)

            // Widening to a team that is not a partner, then to a partner without consent, is refused.
            let widened = subject.addingTags([north, south], to: "scope", by: me)
            let notPartner = try await api.push([widened], as: laptop, batchID: "b2")
            #expect(notPartner.status == .forbidden && Self.code(notPartner) == .forbiddenScope, "\(notPartner.text)")
            try await api.storage.addPartner(team: north, with: south, at: Date())
            let noConsent = try await api.push([widened], as: laptop, batchID: "b3")
            #expect(noConsent.status == .forbidden && Self.code(noConsent) == .consentRequired, "\(noConsent.text)")
            for refused in [notPartner, noConsent] {
                #expect(!refused.text.contains("ung-0142"), "a refusal names no content")
            }

            // With consent recorded in the subject, south reads the subject, not yet the note.
            subject = widened.addingTags([south], to: "consent", by: me)
                .updating(["consentLog": .text("2026-11-30 consent to share with \(south)\n")], by: me)
            #expect(try await api.push([subject], as: laptop, batchID: "b4").status == .ok)
            var southPage = try Self.page(try await api.pull(as: theirs, team: south, version: 2))
            #expect(southPage.records.map(\.key) == [subject.key] && southPage.removed.isEmpty)

            // A note is shared only within its subject's scope: not with a partner the subject is not shared with.
            let east = TestEnvironment.uniqueName("east")
            _ = try await api.storage.createTeam(named: east, at: Date())
            try await api.storage.addPartner(team: north, with: east, at: Date())
            let beyond = try await api.push(
                [note.addingTags([north, east], to: "scope", by: me)], as: laptop, batchID: "b5")
            #expect(beyond.status == .forbidden && Self.code(beyond) == .forbiddenScope, "\(beyond.text)")
            note = note.addingTags([north, south], to: "scope", by: me)
            #expect(try await api.push([note], as: laptop, batchID: "b6").status == .ok)
            southPage = try Self.page(
                try await api.pull(as: theirs, team: south, cursor: southPage.nextCursor, version: 2))
            #expect(southPage.records.map(\.key) == [note.key])

            // South may now write the shared note; a team outside the scope may not.
            let southEdit = note.updating(["place": .string("jobcentre")], by: theirs.replica)
            #expect(try await api.push([southEdit], as: theirs, team: south, batchID: "s1").status == .ok)
            let (_, outsider) = try await api.enrolOutsider("elsewhere")
            let foreign = try await api.push([southEdit], as: outsider, team: outsider.teams[0], batchID: "o1")
            #expect(foreign.status == .forbidden && Self.code(foreign) == .forbiddenRecord, "\(foreign.text)")

            // Version 1 cannot represent shared records: a version-1 pull leaves them out, a version-1 push of
            // one is refused with a code the client understands.
            let legacy = try Self.page(try await api.pull(as: theirs, team: south, version: nil))
            #expect(legacy.protocolVersion == 1 && legacy.records.isEmpty)
            #expect(!(try await api.pull(as: theirs, team: south)).text.contains("removed"))
            let oldClient = try await api.push([southEdit], as: theirs, team: south, batchID: "s2", version: 1)
            #expect(Self.code(oldClient) == .unsupportedVersion, "\(oldClient.text)")

            // Consent withdrawn: south's devices are told to drop the subject and the note about it.
            let before = try Self.page(try await api.pull(as: theirs, team: south, version: 2)).nextCursor
            let current = try #require(
                try Self.page(try await api.pull(as: laptop, version: 2)).records.first { $0.key == subject.key })
            subject = current.removingTags([south], from: "scope", by: me).removingTags(
                [south], from: "consent", by: me)
            #expect(try await api.push([subject], as: laptop, batchID: "b7").status == .ok)
            let removal = try Self.page(try await api.pull(as: theirs, team: south, cursor: before, version: 2))
            #expect(removal.records.isEmpty && Set(removal.removed) == [subject.key, note.key])
            let again = try await api.push([southEdit], as: theirs, team: south, batchID: "s3")
            #expect(Self.code(again) == .forbiddenRecord, "south no longer reads the note")
            let audit = try await api.storage.auditEvents(touching: [note.key.description])
            #expect(audit.contains { $0.action == .remove && $0.team == south })
        }
    }

    @Test(arguments: Backend.enabled)
    func aHandoversOverlapEndsOnItsDay(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let north = api.team
            let laptop = try await api.enrol("laptop")
            let (south, theirs) = try await api.enrolOutsider("jobcentre laptop")
            try await api.storage.addPartner(team: north, with: south, at: Date())
            let me = laptop.replica
            let note = try Self.note("n-\(north)", about: "s-\(north)", by: me)
            // Handed over with consent; north keeps reading until a day that has already come.
            let reference = "ung-\(north)"
            let subject = try Self.subject("s-\(north)", reference: reference, by: me)
                .addingTags([north, south], to: "scope", by: me).addingTags([south], to: "consent", by: me)
                .addingTags(["\(north)@2099-01-05"], to: "accessEnds", by: me)
            let handoverNote = try Self.note("h-\(north)", about: subject.id, by: me)
                .addingTags([north, south], to: "scope", by: me)
            #expect(try await api.push([subject, note, handoverNote], as: laptop).status == .ok)
            let cursor = try Self.page(try await api.pull(as: laptop, version: 2)).nextCursor
            let southPage = try Self.page(try await api.pull(as: theirs, team: south, version: 2))
            #expect(Set(southPage.records.map(\.key)) == [subject.key, handoverNote.key], "only what was shared")

            // Nothing is due the day before; on the day, the server ends north's access itself. (A day far ahead: a
            // server started by another test on the shared PostgreSQL database ends what is due today; and the
            // counts are the whole database's, so this test looks at its own subject.)
            let expiry = AccessExpiry(storage: api.storage)
            try await expiry.run(now: Date(timeIntervalSince1970: 4_071_168_000))  // 2099-01-04
            let dayBefore = try Self.page(try await api.pull(as: laptop, cursor: cursor, version: 2))
            #expect(dayBefore.removed.isEmpty, "nothing ends the day before")
            #expect(try await expiry.run(now: Date(timeIntervalSince1970: 4_071_254_400)).ended >= 1)  // 2099-01-05
            let northPage = try Self.page(try await api.pull(as: laptop, cursor: cursor, version: 2))
            #expect(Set(northPage.removed) == [subject.key, note.key, handoverNote.key])
            let southAfter = try Self.page(
                try await api.pull(as: theirs, team: south, cursor: southPage.nextCursor, version: 2))
            let handedOver = try #require(southAfter.records.first { $0.key == subject.key })
            #expect(handedOver.scopeTeams == [south] && handedOver.accessEnds.isEmpty && southAfter.removed.isEmpty)

            let report = try await AccessReport.make(subject: reference, storage: api.storage)
            #expect(report.subjects == [subject.id] && report.notes == 2)
            #expect(report.entries.contains { $0.action == "pull" && $0.team == south && $0.device == theirs.deviceID })
            #expect(report.entries.contains { $0.action == "remove" && $0.team == north })
        }
    }

    @Test(arguments: Backend.enabled)
    func theServerFindsDuplicateSubjectsUntilTheyAreMerged(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let colleague = TestEnvironment.uniqueName("colleague")
            try await api.storage.addAdviser(named: colleague, toTeam: api.team, canPurge: nil, at: Date())
            let laptop = try await api.enrol("laptop")
            let phone = try await api.enrol("phone", adviser: colleague)
            let reference = "ung-\(api.team)"
            let mine = try Self.subject("a-\(api.team)", reference: reference, by: laptop.replica)
            let theirs = try Self.subject("b-\(api.team)", reference: reference, by: phone.replica)
            let other = try Self.subject("c-\(api.team)", reference: "\(reference)-x", by: phone.replica)
            #expect(try await api.push([mine], as: laptop).status == .ok)
            #expect(try await api.push([theirs, other], as: phone).status == .ok)

            var found = try await DuplicateSubjects.find(in: api.storage).groups.filter { $0.team == api.team }
            #expect(found.map(\.subjects) == [[mine.id, theirs.id]])
            // Folded (merge.md, "Duplicate subjects"): the other one points to the kept one and is deleted.
            let folded = theirs.updating(["mergedInto": .reference(mine.id)], by: phone.replica).deleting(
                by: phone.replica)
            #expect(try await api.push([folded], as: phone, batchID: "b2").status == .ok)
            found = try await DuplicateSubjects.find(in: api.storage).groups.filter { $0.team == api.team }
            #expect(found.isEmpty)
        }
    }
}
