import Foundation
import LocalStore
import SyncProtocol
import Testing

/// Two advisers who each create the same young person while offline: the duplicates are found after a sync, every
/// read shows both, a write refuses to pick one, and a merge folds them on every device (merge.md, "Duplicate
/// subjects").
@Suite("Duplicate subjects")
struct DuplicateSubjectsTests {
    /// Two stores of one team, and a way to bring them together as a server would: every store's queued changes
    /// merged into every other store.
    final class Team {
        let directories: [TemporaryDirectory]
        let stores: [LocalStore]
        private var pages = 0

        init(_ advisers: [String]) throws {
            directories = try advisers.map { try TemporaryDirectory("dup-\($0)") }
            stores = try zip(directories, advisers).map { try makeStore($0, adviser: $1) }
        }

        /// Gives every store every other store's changes, `firstCollection`'s records first in each page.
        func exchange(firstCollection: String = "subjects") async throws {
            let queued = try await stores.asyncMap { store in
                try await store.pendingChanges(after: nil, limit: 10_000).map(\.record)
            }
            for (index, store) in stores.enumerated() {
                var records: [SyncProtocol.Record] = []
                for (other, changes) in queued.enumerated() where other != index { records += changes }
                records =
                    records.filter { $0.collection == firstCollection }
                    + records.filter { $0.collection != firstCollection }
                pages += 1
                _ = try await store.apply(page: PullPage(records: records, nextCursor: "\(pages)", more: false))
            }
        }

        func close() { stores.forEach { $0.close() } }
    }

    /// Mette and Lars each create ung-0142 offline, each with a note; then they sync.
    static func twoDuplicates() async throws -> (Team, mette: Subject, lars: Subject) {
        let team = try Team(["mette", "lars"])
        let (mette, lars) = (team.stores[0], team.stores[1])
        let metteSubject = try mette.addSubject(
            NewSubject(
                reference: "ung-0142", displayName: "Sofie", goals: "Finish 9th grade"))
        let larsSubject = try lars.addSubject(
            NewSubject(
                reference: "ung-0142", status: .inEducation, goals: "Start at the production school",
                nextStep: "Visit the workshop"))
        try mette.addNote(NewNote(subjectReference: "ung-0142", kind: .walk, body: "Walked past the school"))
        try lars.addNote(
            NewNote(
                subjectReference: "ung-0142", kind: .phone, body: "Called about the workshop",
                followUp: Date(timeIntervalSinceNow: -86_400)))
        try await team.exchange()
        return (team, metteSubject, larsSubject)
    }

    @Test func duplicatesAreFoundAndEveryReadShowsBoth() async throws {
        let (team, metteSubject, larsSubject) = try await Self.twoDuplicates()
        defer { team.close() }
        let ids = [metteSubject.id, larsSubject.id].sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for store in team.stores {
            let groups = try store.duplicateSubjects()
            #expect(groups.map { $0.map(\.id) } == [ids])
            let listed = try store.subjects()
            #expect(listed.count == 2)
            #expect(listed.allSatisfy { $0.duplicates.count == 1 && $0.duplicates[0] != $0.id })
            // Reads name both: the notes of both, the export of both.
            let notes = try store.notes(NoteQuery(subjectReference: "ung-0142"))
            #expect(Set(notes.map(\.body)) == ["Walked past the school", "Called about the workshop"])
            let export = try store.export(subjectReference: "ung-0142")
            #expect(export.notes.count == 2)
            #expect(Set([export.subject.id] + export.duplicates.map(\.id)) == Set(ids))
            // Both subjects' own values are exported (fieldcli writes them out; EndToEndTests checks the text).
            #expect(
                Set(([export.subject] + export.duplicates).map(\.goals))
                    .isSuperset(of: ["Start at the production school", "Finish 9th grade"]))
            #expect(try store.subjects(reference: "ung-0142").map(\.id) == ids)
            // A write that needs one subject does not pick one.
            #expect(throws: LocalStoreError.duplicateSubject(ids: ids)) {
                try store.addNote(NewNote(subjectReference: "ung-0142", kind: .sms, body: "Sent the address"))
            }
            #expect(throws: LocalStoreError.duplicateSubject(ids: ids)) {
                try store.editSubject(reference: "ung-0142", SubjectChanges(nextStep: "Call Friday"))
            }
            // Named by its id, each is one subject.
            #expect(try store.subject(reference: String(larsSubject.id.prefix(10))).id == larsSubject.id)
            #expect(try store.notes().count == 2)
        }
    }

    @Test func mergeFoldsOtherIntoKeepAndTheOtherDeviceConverges() async throws {
        let (team, metteSubject, larsSubject) = try await Self.twoDuplicates()
        defer { team.close() }
        let (mette, lars) = (team.stores[0], team.stores[1])

        let plan = try mette.subjectMergePlan(keep: metteSubject.id, other: String(larsSubject.id.prefix(8)))
        #expect(plan.notesToMove == 1)
        let result = try mette.mergeSubjects(keep: metteSubject.id, other: String(larsSubject.id.prefix(8)))
        #expect(result.fields == plan.fields)
        #expect(result.foldedID == larsSubject.id)
        #expect(result.notesMoved == 1)
        #expect(result.fields.taken == ["nextStep"])
        #expect(result.fields.combined == ["goals"])
        #expect(result.fields.notTaken == ["status", "responsibleAdviser"])
        #expect(result.kept.goals == "Finish 9th grade\n\nStart at the production school")
        #expect(result.kept.nextStep == "Visit the workshop")
        #expect(result.kept.status == .notEducationReady)
        #expect(result.kept.displayName == "Sofie")

        try await team.exchange()
        for store in [mette, lars] {
            #expect(try store.duplicateSubjects().isEmpty)
            let subjects = try store.subjects()
            #expect(subjects.map(\.id) == [metteSubject.id])
            #expect(subjects[0].goals == result.kept.goals)
            #expect(subjects[0].nextStep == "Visit the workshop")
            let notes = try store.notes(NoteQuery(subjectReference: "ung-0142"))
            #expect(notes.count == 2)
            #expect(notes.allSatisfy { $0.subjectID == metteSubject.id && $0.subjectReference == "ung-0142" })
            // The folded subject's id still finds the young person.
            #expect(try store.subject(reference: String(larsSubject.id.prefix(8))).id == metteSubject.id)
            #expect(try store.derivedDataProblems().isEmpty)
            // Now a write has one subject to go to.
            try store.addNote(NewNote(subjectReference: "ung-0142", kind: .sms, body: "Sent the address"))
        }
        #expect(throws: LocalStoreError.self) { try mette.mergeSubjects(keep: metteSubject.id, other: metteSubject.id) }
    }

    @Test func aNoteWrittenOfflineToTheFoldedSubjectShowsUnderTheKeptOne() async throws {
        let (team, metteSubject, larsSubject) = try await Self.twoDuplicates()
        defer { team.close() }
        let (mette, lars) = (team.stores[0], team.stores[1])
        try mette.mergeSubjects(keep: metteSubject.id, other: larsSubject.id)
        // Lars has not synced yet: he writes to his own subject, by its id.
        let late = try lars.addNote(
            NewNote(
                subjectReference: larsSubject.id, kind: .homeVisit, body: "Home visit with the mother",
                followUp: Date(timeIntervalSinceNow: -3_600)))
        // The note reaches a new device in the same page as the merge, before it.
        let third = try TemporaryDirectory("dup-third")
        let anna = try makeStore(third, adviser: "anna")
        defer { anna.close() }
        var records: [SyncProtocol.Record] = []
        for store in [mette, lars] {
            records += try await store.pendingChanges(after: nil, limit: 10_000).map(\.record)
        }
        let notesFirst = records.filter { $0.collection == "notes" } + records.filter { $0.collection != "notes" }
        _ = try await anna.apply(page: PullPage(records: notesFirst, nextCursor: "1", more: false))
        try await team.exchange()

        for store in [mette, lars, anna] {
            #expect(try store.subjects().map(\.id) == [metteSubject.id])
            let notes = try store.notes(NoteQuery(subjectReference: "ung-0142"))
            #expect(notes.count == 3)
            let shown = try #require(notes.first { $0.id == late.id })
            #expect(shown.subjectID == metteSubject.id)
            #expect(shown.subjectReference == "ung-0142")
            #expect(try store.note(id: late.id).subjectReference == "ung-0142")
            #expect(try store.search("ung-0142").map(\.note.id).contains(late.id))
            #expect(try store.search("Sofie").map(\.note.id).contains(late.id))
            let due = try store.followUps(all: true).filter { $0.note.id == late.id }
            #expect(due.map(\.note.subjectReference) == ["ung-0142"])
            #expect(try store.export(subjectReference: "ung-0142").notes.map(\.id).contains(late.id))
            #expect(try store.derivedDataProblems().isEmpty)
        }
        // Renaming the kept subject reaches the late note's search words too.
        try mette.editSubject(reference: "ung-0142", SubjectChanges(displayName: "Sofie Holm"))
        #expect(try mette.search("Holm").map(\.note.id).contains(late.id))
        // Rebuilding the derived data gives the same answers.
        try anna.rebuildDerivedData()
        #expect(try anna.notes(NoteQuery(subjectReference: "ung-0142")).count == 3)
        #expect(try anna.search("ung-0142").map(\.note.id).contains(late.id))
    }

    @Test func concurrentOppositeMergesKeepTheSmallerID() async throws {
        let (team, metteSubject, larsSubject) = try await Self.twoDuplicates()
        defer { team.close() }
        let (mette, lars) = (team.stores[0], team.stores[1])
        // At the same time, offline: Mette keeps hers, Lars keeps his.
        try mette.mergeSubjects(keep: metteSubject.id, other: larsSubject.id)
        try lars.mergeSubjects(keep: larsSubject.id, other: metteSubject.id)
        try await team.exchange()
        try await team.exchange()

        let kept = [metteSubject.id, larsSubject.id].min { $0.utf8.lexicographicallyPrecedes($1.utf8) }!
        var views: [[String]] = []
        for store in [mette, lars] {
            let subjects = try store.subjects()
            #expect(subjects.map(\.id) == [kept])
            #expect(try store.duplicateSubjects().isEmpty)
            let notes = try store.notes(NoteQuery(subjectReference: "ung-0142"))
            #expect(notes.count == 2)
            #expect(notes.allSatisfy { $0.subjectID == kept && $0.subjectReference == "ung-0142" })
            // Each side's update of the subject it kept met the other side's delete of it: shown, for a person.
            let conflicts = try store.conflicts()
            #expect(Set(conflicts.map(\.id)) == [metteSubject.id, larsSubject.id])
            #expect(conflicts.allSatisfy { $0.deletedElsewhere && $0.subjectReference == "ung-0142" })
            #expect(try store.subject(reference: metteSubject.id).id == kept)
            #expect(try store.subject(reference: larsSubject.id).id == kept)
            #expect(try store.derivedDataProblems().isEmpty)
            views.append([subjects[0].goals, subjects[0].nextStep] + notes.map(\.id).sorted())
            try store.rebuildDerivedData()
            #expect(try store.subjects().map(\.id) == [kept])
        }
        #expect(views[0] == views[1])
        // A write now has exactly one subject.
        let note = try lars.addNote(NewNote(subjectReference: "ung-0142", kind: .sms, body: "Sent the address"))
        #expect(note.subjectID == kept)
    }

    @Test func theSameMergeOnTwoDevicesAtOnceAgreesWithoutConflicts() async throws {
        let (team, metteSubject, larsSubject) = try await Self.twoDuplicates()
        defer { team.close() }
        let (mette, lars) = (team.stores[0], team.stores[1])
        let first = try mette.mergeSubjects(keep: metteSubject.id, other: larsSubject.id)
        let second = try lars.mergeSubjects(keep: metteSubject.id, other: larsSubject.id)
        #expect(first.kept.goals == second.kept.goals)
        try await team.exchange()
        for store in [mette, lars] {
            #expect(try store.subjects().map(\.id) == [metteSubject.id])
            #expect(try store.subjects()[0].goals == first.kept.goals)
            // Equal concurrent values are no conflict: nothing for a person to do.
            #expect(try store.conflicts().isEmpty)
            #expect(try store.notes(NoteQuery(subjectReference: "ung-0142")).count == 2)
        }
    }

    @Test func aMergeOfTwoDifferentReferencesNeedsEachNamedOnce() throws {
        let dir = try TemporaryDirectory("dup-single")
        let store = try makeStore(dir)
        defer { store.close() }
        let keep = try store.addSubject(NewSubject(reference: "ung-0142", consentRecorded: false))
        let other = try store.addSubject(NewSubject(reference: "ung-142", displayName: "Jonas", consentRecorded: true))
        try store.addNote(NewNote(subjectReference: "ung-142", kind: .walk, body: "Walked to the harbour"))
        let result = try store.mergeSubjects(keep: "ung-0142", other: "ung-142")
        // A different reference is not taken; a name and a recorded consent are (the kept subject had none).
        #expect(result.fields.notTaken == ["reference"])
        #expect(Set(result.fields.taken) == ["displayName", "consentRecorded", "consentAt"])
        #expect(result.kept.consentRecorded && result.kept.displayName == "Jonas")
        #expect(try store.subjects().map(\.id) == [keep.id])
        #expect(try store.notes(NoteQuery(subjectReference: "ung-0142")).count == 1)
        #expect(throws: LocalStoreError.notFound(kind: "subject", id: "ung-142")) {
            try store.subject(reference: "ung-142")
        }
        #expect(try store.subject(reference: other.id).id == keep.id)
    }
}

extension Array {
    /// `map` with an async transform, in order.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result.append(try await transform(element)) }
        return result
    }
}
