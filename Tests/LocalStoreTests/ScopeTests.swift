import Foundation
import GRDB
import SyncProtocol
import Testing

@testable import LocalStore

/// Protocol version 2 on the device: records whose access ended leave it with all their local state (an unsynced
/// change is kept aside, never pushed), and sharing, unsharing and handing over write the fields the server checks.
@Suite("Scopes on the device")
struct ScopeTests {
    /// A store enrolled in team `north` (no server is contacted: sharing only needs to know the team).
    static func enrolledStore(_ dir: TemporaryDirectory, adviser: String = "mette") throws -> LocalStore {
        let store = try makeStore(dir, adviser: adviser)
        try store.saveEnrolment(
            Enrolment(serverURL: "http://127.0.0.1:1", deviceID: "device-\(adviser)", team: "north"), token: "t")
        return store
    }

    /// Settles the whole outbox as the server would after a push it accepted as is; returns the records pushed.
    @discardableResult
    static func pushAll(_ store: LocalStore) async throws -> [SyncProtocol.Record] {
        let entries = try await store.pendingChanges(after: nil, limit: 1_000)
        _ = try await store.acknowledge(
            entries.map {
                PushAcknowledgement(key: $0.record.key, marker: $0.marker, serverRecord: nil)
            })
        return entries.map(\.record)
    }

    /// The one-line message of the error `body` throws, `nil` when it throws none.
    static func refusal(_ body: () throws -> Any) -> String? {
        do {
            _ = try body()
            return nil
        } catch {
            return (error as? LocalStoreError)?.errorDescription ?? "\(error)"
        }
    }

    /// Expects `body` to fail with a message that contains `expected`.
    static func expectRefusal(
        _ expected: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Any
    ) {
        let message = refusal(body)
        #expect(message?.contains(expected) == true, "\(message ?? "no error")", sourceLocation: sourceLocation)
    }

    static func count(_ store: LocalStore, _ sql: String) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: sql) ?? -1 }
    }

    /// The record's state as this store holds it.
    static func record(_ store: LocalStore, _ collection: String, _ id: String) throws -> SyncProtocol.Record? {
        try store.read { db in try store.loadRecord(db, collection: collection, id: id) }
    }

    // MARK: Removal

    @Test func aRemovedRecordLeavesWithItsRowsSearchRowsAndOutboxEntry() async throws {
        let dir = try TemporaryDirectory("scope-remove")
        let store = try Self.enrolledStore(dir)
        defer { store.close() }
        let kept = try store.addSubject(NewSubject(reference: "ung-1"))
        let gone = try store.addSubject(NewSubject(reference: "ung-2"))
        try store.addNote(NewNote(subjectReference: "ung-1", kind: .walk, body: "carpentry workshop visit"))
        let first = try store.addNote(NewNote(subjectReference: "ung-2", kind: .walk, body: "carpentry course"))
        let second = try store.addNote(NewNote(subjectReference: "ung-2", kind: .sms, body: "carpentry exam"))
        try await Self.pushAll(store)
        // A local edit of a record that stays queued: removing other records must not touch it.
        try store.editSubject(reference: "ung-1", SubjectChanges(nextStep: "visit the school"))
        #expect(try Self.count(store, "SELECT COUNT(*) FROM note_fts") == 3)

        let page = PullPage(
            records: [], nextCursor: "7", more: false,
            removed: [
                RecordKey(collection: "notes", id: first.id), RecordKey(collection: "notes", id: second.id),
                RecordKey(collection: "subjects", id: gone.id),
                // A record the device never held is not counted.
                RecordKey(collection: "notes", id: "00000000000000000000000000000000"),
            ])
        let outcome = try await store.apply(page: page)
        #expect(outcome.removed == 3)
        #expect(outcome.setAside == 0)
        #expect(try await store.pullCursor() == "7")

        #expect(try store.subjects().map(\.id) == [kept.id])
        #expect(try store.notes().map(\.subjectID) == [kept.id])
        #expect(try store.search("carpentry").map(\.note.subjectID) == [kept.id])
        #expect(throws: LocalStoreError.self) { try store.note(id: first.id) }
        #expect(try Self.record(store, "notes", first.id) == nil)
        #expect(try Self.record(store, "subjects", gone.id) == nil)
        #expect(try Self.count(store, "SELECT COUNT(*) FROM note_fts") == 1)
        #expect(try Self.count(store, "SELECT COUNT(*) FROM record") == 2)
        let queued = try await store.pendingChanges(after: nil, limit: 100).map(\.record.id)
        #expect(queued == [kept.id])
        #expect(try store.setAsideRecords().isEmpty)
        #expect(try store.derivedDataProblems().isEmpty)
        try store.verifyIntegrity()
        // Applying the same page again (a retry after a lost answer) changes nothing.
        #expect(try await store.apply(page: page).removed == 0)
    }

    @Test func anUnsyncedEditOfARemovedRecordIsKeptAsideAndNeverPushed() async throws {
        let dir = try TemporaryDirectory("scope-aside")
        let store = try Self.enrolledStore(dir)
        let subject = try store.addSubject(NewSubject(reference: "ung-3"))
        let note = try store.addNote(NewNote(subjectReference: "ung-3", kind: .phone, body: "Called the school"))
        try await Self.pushAll(store)
        try store.editNote(id: note.id, NoteChanges(append: "She starts on Monday"))
        // A note written here and never pushed: the server cannot name it, it leaves with its subject.
        let local = try store.addNote(NewNote(subjectReference: "ung-3", kind: .sms, body: "Texted the address"))
        #expect(try await store.pendingChangeCount() == 2)

        let outcome = try await store.apply(
            page: PullPage(
                records: [], nextCursor: "9", more: false,
                removed: [
                    RecordKey(collection: "subjects", id: subject.id), RecordKey(collection: "notes", id: note.id),
                ]))
        #expect(outcome.removed == 3)
        #expect(outcome.setAside == 2)
        #expect(try await store.pendingChanges(after: nil, limit: 100).isEmpty)
        #expect(try await store.pendingChangeCount() == 0)
        #expect(try store.notes().isEmpty)
        #expect(try store.search("Monday").isEmpty)
        #expect(try store.syncStatus().setAside == 2)
        #expect(try store.derivedDataProblems().isEmpty)
        store.close()

        // Kept in the encrypted store, across a reopen: never written to disk in the clear.
        for (name, bytes) in try snapshot(dir.url) {
            #expect(!bytes.contains("She starts on Monday"), "\(name)")
        }
        let reopened = try reopen(dir)
        defer { reopened.close() }
        let aside = try reopened.setAsideRecords()
        #expect(aside.map(\.id).sorted() == [note.id, local.id].sorted())
        let edited = try #require(aside.first { $0.id == note.id })
        #expect(edited.collection == "notes")
        #expect(edited.values["body"] == "Called the school\n\nShe starts on Monday")
        #expect(edited.reason.contains("access ended"))
        #expect(!edited.deleted)
        #expect(try await reopened.pendingChanges(after: nil, limit: 100).isEmpty)
        #expect(try reopened.syncStatus().setAside == 2)
        try reopened.verifyIntegrity()
    }

    // MARK: Sharing

    @Test func sharingNeedsAnEnrolledStoreAConsentAndAnotherTeam() throws {
        let dir = try TemporaryDirectory("scope-share-errors")
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-4"))
        Self.expectRefusal("enrol first") {
            try store.shareSubject(reference: "ung-4", with: "jobcentre", consent: "the plan")
        }
        try store.saveEnrolment(Enrolment(serverURL: "http://x", deviceID: "d", team: "north"), token: "t")
        Self.expectRefusal("agreed to share") {
            try store.shareSubject(reference: "ung-4", with: "jobcentre", consent: " \n ")
        }
        Self.expectRefusal("own team") {
            try store.shareSubject(reference: "ung-4", with: "north", consent: "x")
        }
        Self.expectRefusal("not a team id") {
            try store.shareSubject(reference: "ung-4", with: "job centre", consent: "x")
        }
        Self.expectRefusal("not shared") {
            try store.unshareSubject(reference: "ung-4", from: "jobcentre")
        }
        #expect(try store.subject(reference: "ung-4").scope.isEmpty)
    }

    @Test func shareAndUnshareWriteScopeConsentAndTheLog() async throws {
        let dir = try TemporaryDirectory("scope-share")
        let store = try Self.enrolledStore(dir)
        defer { store.close() }
        let created = try store.addSubject(NewSubject(reference: "ung-5"))
        let note = try store.addNote(NewNote(subjectReference: "ung-5", kind: .walk, body: "Walked to the school"))
        let stored = try await Self.pushAll(store).first { $0.id == created.id }!
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-30T10:00:00Z"))

        // A note cannot go further than its subject.
        Self.expectRefusal("share the subject first") {
            try store.shareNote(id: note.id, with: "jobcentre")
        }

        let shared = try store.shareSubject(
            reference: "ung-5", with: "jobcentre", consent: "the plan for the\nplacement", now: now)
        #expect(shared.scope == ["jobcentre", "north"])
        #expect(shared.consent == ["jobcentre"])
        #expect(shared.consentRecorded)
        #expect(shared.consentAt == now)
        #expect(
            shared.consentLog == """
                2026-11-30 mette (north): consent from the young person to share with jobcentre — \
                "the plan for the placement"

                """)
        // The write is what the server accepts from a partner team with consent (one rule: ScopeRule).
        let record = try #require(try Self.record(store, "subjects", created.id))
        let decision = try ScopeRule.decide(
            merged: stored.merged(with: record), stored: stored, home: "north", storedReaders: ["north"],
            team: "north", partners: ["jobcentre"], subjectScope: nil, version: 2)
        #expect(decision.readers == ["north", "jobcentre"])
        #expect(try await store.pendingChanges(after: nil, limit: 10).map(\.record.id) == [created.id])

        #expect(try store.shareNote(id: note.id, with: "jobcentre") == ["jobcentre", "north"])
        let noteRecord = try #require(try Self.record(store, "notes", note.id))
        #expect(noteRecord.scopeTeams == ["north", "jobcentre"])

        let later = now.addingTimeInterval(86_400)
        let unshared = try store.unshareSubject(reference: "ung-5", from: "jobcentre", now: later)
        #expect(unshared.scope == ["north"])
        #expect(unshared.consent.isEmpty)
        let lines = unshared.consentLog.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last == "2026-12-01 mette (north): consent withdrawn — no longer shared with jobcentre")
        // The note's readers are within its subject's scope: jobcentre no longer reads it; and the note no longer
        // names it either, so sharing again shares no note by itself.
        let subjectScope = try #require(try Self.record(store, "subjects", created.id)).scope(home: "north")
        #expect(
            ScopeRule.readers(
                scope: noteRecord.scope(home: "north"), collection: "notes", subjectScope: subjectScope) == ["north"])
        #expect(try #require(try Self.record(store, "notes", note.id)).scopeTeams == ["north"])
    }

    @Test func aChangeTheServerRefusesForLostAccessIsKeptAside() async throws {
        let dir = try TemporaryDirectory("scope-refused")
        let store = try Self.enrolledStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-9"))
        let note = try store.addNote(NewNote(subjectReference: "ung-9", kind: .walk, body: "Walked to the harbour"))
        let other = try store.addNote(NewNote(subjectReference: "ung-9", kind: .sms, body: "Texted the time"))
        try await Self.pushAll(store)
        let key = RecordKey(collection: "notes", id: note.id)
        // Nothing queued for it: nothing to keep aside, and the store keeps the note.
        #expect(try store.setAsideRefusedChange(key) == nil)
        try store.editNote(id: note.id, NoteChanges(append: "Agreed to visit the workshop"))
        try store.editNote(id: other.id, NoteChanges(append: "She confirmed"))

        let outcome = try #require(try store.setAsideRefusedChange(key))
        #expect(outcome.removed == 1)
        #expect(outcome.setAside == 1)
        #expect(try await store.pendingChanges(after: nil, limit: 10).map(\.record.id) == [other.id])
        #expect(try store.notes().map(\.id) == [other.id])
        let aside = try store.setAsideRecords()
        #expect(aside.map(\.id) == [note.id])
        #expect(aside.first?.values["body"]?.hasSuffix("Agreed to visit the workshop") == true)
        #expect(try store.setAsideRefusedChange(key) == nil)
        #expect(try store.derivedDataProblems().isEmpty)
    }

    // MARK: Handover

    @Test func aHandoverWithinTheTeamMovesResponsibilityAndShowsInTheReceiversFollowUps() async throws {
        let (dirA, dirB) = (try TemporaryDirectory("handover-a"), try TemporaryDirectory("handover-b"))
        let mette = try Self.enrolledStore(dirA, adviser: "mette")
        defer { mette.close() }
        let lars = try Self.enrolledStore(dirB, adviser: "lars")
        defer { lars.close() }
        try mette.addSubject(NewSubject(reference: "ung-6"))
        try mette.addNote(NewNote(subjectReference: "ung-6", kind: .intake, body: "First meeting"))
        Self.expectRefusal("needs a note") {
            try mette.handOver(SubjectHandover(subjectReference: "ung-6", toAdviser: "lars", note: " "))
        }
        Self.expectRefusal("another team") {
            try mette.handOver(
                SubjectHandover(
                    subjectReference: "ung-6", toAdviser: "lars", note: "x", consent: "the whole course"))
        }

        let result = try mette.handOver(
            SubjectHandover(
                subjectReference: "ung-6", toAdviser: "lars", team: "north", note: "Wants to try the kitchen workshop"))
        #expect(!result.acrossTeams)
        #expect(result.subject.responsibleAdviser == "lars")
        #expect(result.subject.scope.isEmpty)
        #expect(result.subject.consentLog.isEmpty)
        let handoverNote = try mette.note(id: result.noteID)
        #expect(handoverNote.kind == .handover)
        #expect(try #require(try Self.record(mette, "notes", result.noteID)).scopeTeams.isEmpty)
        #expect(try mette.handoversToMe().isEmpty)

        let records = try await mette.pendingChanges(after: nil, limit: 100).map(\.record)
        _ = try await lars.apply(page: PullPage(records: records, nextCursor: "3", more: false))
        let due = try lars.handoversToMe()
        #expect(due.map(\.note.id) == [result.noteID])
        #expect(due.first?.handover == true)
        #expect(due.first?.note.subjectReference == "ung-6")
        // Taken up: a note by the receiver after the handover.
        try lars.addNote(NewNote(subjectReference: "ung-6", kind: .phone, body: "Called to say hello"))
        #expect(try lars.handoversToMe().isEmpty)
    }

    @Test func aHandoverToAnotherTeamSharesWithConsentAndEndsTheSendersAccess() async throws {
        let dir = try TemporaryDirectory("handover-across")
        let store = try Self.enrolledStore(dir)
        defer { store.close() }
        let created = try store.addSubject(NewSubject(reference: "ung-7"))
        // Not synced yet: the server may not hold the subject, and would refuse a new one without this team.
        Self.expectRefusal("sync first") {
            try store.handOver(
                SubjectHandover(
                    subjectReference: "ung-7", toAdviser: "jonas", team: "jobcentre", note: "Ready", consent: "the note"
                ))
        }
        let stored = try await Self.pushAll(store).first { $0.id == created.id }!
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-30T23:30:00Z"))
        Self.expectRefusal("consent") {
            try store.handOver(
                SubjectHandover(
                    subjectReference: "ung-7", toAdviser: "jonas", team: "jobcentre", note: "Ready for the placement"))
        }
        #expect(try await store.pendingChangeCount() == 0)

        let result = try store.handOver(
            SubjectHandover(
                subjectReference: "ung-7", toAdviser: "jonas", team: "jobcentre", note: "Ready for the placement",
                consent: "the handover note"),
            now: now)
        #expect(result.acrossTeams)
        #expect(result.accessEnd == nil)
        // The sending team leaves the scope in the same write; the receiving team reads it, with consent.
        #expect(result.subject.scope == ["jobcentre"])
        #expect(result.subject.consent == ["jobcentre"])
        #expect(result.subject.responsibleAdviser == "jonas")
        #expect(
            result.subject.consentLog.hasPrefix(
                "2026-11-30 mette (north): consent from the young person to share with jobcentre — "
                    + "\"the handover note\" (handover to jonas)"))
        let note = try #require(try Self.record(store, "notes", result.noteID))
        #expect(note.scopeTeams == ["north", "jobcentre"])
        #expect(note.string("kind") == "handover")

        // Until the removal comes, a note about it would reach nobody: refused.
        Self.expectRefusal("no longer reads this subject") {
            try store.addNote(NewNote(subjectReference: "ung-7", kind: .phone, body: "One more thing"))
        }
        let subject = try #require(try Self.record(store, "subjects", created.id))
        let decision = try ScopeRule.decide(
            merged: stored.merged(with: subject), stored: stored, home: "north", storedReaders: ["north"],
            team: "north", partners: ["jobcentre"], subjectScope: nil, version: 2)
        #expect(decision.readers == ["jobcentre"])
        let noteDecision = try ScopeRule.decide(
            merged: note, stored: nil, home: "north", storedReaders: [], team: "north", partners: ["jobcentre"],
            subjectScope: decision.scope, version: 2)
        #expect(noteDecision.readers == ["jobcentre"])
    }

    @Test func keepingAccessRecordsTheDayTheSendersAccessEnds() throws {
        let dir = try TemporaryDirectory("handover-keep")
        let store = try Self.enrolledStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-8"))
        let now = try #require(ISO8601DateFormatter().date(from: "2026-11-30T23:30:00Z"))
        let handover = SubjectHandover(
            subjectReference: "ung-8", toAdviser: "jonas", team: "jobcentre", note: "Over to the job centre",
            consent: "the plan", keepAccessUntil: now.addingTimeInterval(30 * 86_400))
        var sameDay = handover
        sameDay.keepAccessUntil = now.addingTimeInterval(60)
        Self.expectRefusal("at least one day") {
            try store.handOver(sameDay, now: now)
        }

        let result = try store.handOver(handover, now: now)
        #expect(result.accessEnd == "north@2026-12-30")
        #expect(result.subject.accessEnds == ["north@2026-12-30"])
        #expect(result.subject.scope == ["jobcentre", "north"])
        #expect(result.subject.responsibleAdviser == "jonas")
        // Unsharing the receiving team later drops its consent and scope, and the log says so.
        let unshared = try store.unshareSubject(reference: "ung-8", from: "jobcentre", now: now)
        #expect(unshared.scope == ["north"])
        #expect(unshared.accessEnds == ["north@2026-12-30"])
        #expect(unshared.consentLog.contains("consent withdrawn — no longer shared with jobcentre"))
    }
}
