import Foundation
import Hummingbird
import HummingbirdTesting
import SyncProtocol
import SyncServer
import Testing

/// Retention (`sync-server admin retention`, and `serve` daily): young people whose course a team closed longer
/// ago than its rule are purged with their notes, the purge reaches the devices, and the audit names the rule.
/// The clock is the rule's `asOf`: a course closed now is "closed six years ago" as of six years from now.
@Suite("HTTP API: retention")
struct RetentionAPITests {
    static func subject(_ id: String, status: String, by replica: ReplicaID) throws -> Record {
        try Record.create(
            collection: "subjects", id: id, values: ["reference": .string("ung-\(id)"), "status": .string(status)],
            by: replica, schema: Schemas.subjects)
    }

    static func note(_ id: String, about subject: String, by replica: ReplicaID) throws -> Record {
        try Record.create(
            collection: "notes", id: id,
            values: [
                "subject": .reference(subject), "kind": .string("walk"),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000)),
                "body": .text("Talked about the housing trouble.\n"),
            ],
            by: replica, schema: Schemas.notes)
    }

    static func years(_ count: Int, after date: Date = Date()) -> Date {
        Calendar(identifier: .gregorian).date(byAdding: .year, value: count, to: date)!
    }

    static func page(_ response: TestResponse) throws -> PullPage {
        try #require(response.status == .ok, "\(response.text)")
        return try WireCoding.decode(PullPage.self, from: response.data)
    }

    @Test(arguments: Backend.enabled)
    func closedCoursesGoWithTheirNotesEverywhereAndTheAuditNamesTheRule(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let laptop = try await api.enrol("laptop")
            let phone = try await api.enrol("phone")
            let me = laptop.replica
            let run = UUID().uuidString.prefix(8).lowercased()
            let closed = try Self.subject("closed-\(run)", status: "closed", by: me)
            let open = try Self.subject("open-\(run)", status: "in-education", by: me)
            let notes = try (1...2).map { try Self.note("n\($0)-\(run)", about: closed.id, by: me) }
            let openNote = try Self.note("n3-\(run)", about: open.id, by: me)
            // A duplicate of the same young person, folded into the closed subject, goes with it (and its note).
            let folded = try Self.subject("dup-\(run)", status: "in-job", by: me)
                .updating(["mergedInto": .reference(closed.id)], by: me)
            let foldedNote = try Self.note("n4-\(run)", about: folded.id, by: me)
            let pushed = try await api.push([closed, open, folded] + notes + [openNote, foldedNote], as: laptop)
            #expect(pushed.status == .ok, "\(pushed.text)")
            let before = try Self.page(try await api.pull(as: phone, version: 2))
            #expect(before.records.count == 7)

            let retention = Retention(storage: api.storage)
            let fiveYears = try RetentionPeriod(parsing: "5y")
            // Closed four years ago (as of four years from now): it stays.
            let early = try await retention.run(team: api.team, closedAfter: fiveYears, asOf: Self.years(4))
            #expect(early.plan.purges.isEmpty && early.purged.isEmpty)

            // Six years: the dry run lists the subject and its notes, by id, and changes nothing.
            let dry = try await retention.run(team: api.team, closedAfter: fiveYears, asOf: Self.years(6), dryRun: true)
            #expect(dry.plan.purges.map(\.subject) == [closed.id])
            #expect(dry.plan.purges.first?.folded == [folded.id])
            #expect(dry.plan.purges.first?.notes == (notes + [foldedNote]).map(\.id).sorted())
            #expect(dry.plan.subjectCount == 2 && dry.plan.noteCount == 3 && dry.purged.isEmpty)
            let unchanged = try Self.page(try await api.pull(as: phone, cursor: before.nextCursor, version: 2))
            #expect(unchanged.records.isEmpty && unchanged.removed.isEmpty, "a dry run changes nothing")

            let done = try await retention.run(team: api.team, closedAfter: fiveYears, asOf: Self.years(6))
            let gone = ([closed, folded] + notes + [foldedNote]).map(\.key.description)
            #expect(Set(done.purged) == Set(gone) && done.changedMeanwhile.isEmpty)

            // The phone receives the purges (no content left), and nothing about the open course.
            let after = try Self.page(try await api.pull(as: phone, cursor: before.nextCursor, version: 2))
            #expect(Set(after.records.map(\.key.description)) == Set(gone))
            #expect(after.records.allSatisfy { $0.isPurged })
            #expect(!String(decoding: try WireCoding.encode(after), as: UTF8.self).contains("housing"))
            // A stale copy pushed later cannot bring the content back.
            let stale = closed.updating(["nextStep": .text("Call the school.\n")], by: me)
            let answer = try await api.push([stale], as: laptop, batchID: "b2")
            #expect(answer.status == .ok && !answer.text.contains("Call the school"))

            // Every purge is audited with the rule; the open course is untouched.
            let events = try await api.storage.auditEvents(touching: Set(gone))
            let purges = events.filter { $0.action == .purge }
            #expect(purges.count == 1 && Set(purges[0].recordIDs) == Set(gone), "\(events)")
            #expect(purges[0].detail?.contains("retention: closed-after 5y") == true, "\(purges[0])")
            #expect(purges[0].team == api.team)
            let openEvents = try await api.storage.auditEvents(
                touching: [open.key.description, openNote.key.description])
            #expect(!openEvents.contains { $0.action == .purge })
            let again = try await retention.run(team: api.team, closedAfter: fiveYears, asOf: Self.years(6))
            #expect(again.plan.purges.isEmpty, "a second run finds nothing left")
        }
    }

    @Test(arguments: Backend.enabled)
    func aCourseCountsFromItsClosingAndAReopenedCourseStays(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let laptop = try await api.enrol("laptop")
            let me = laptop.replica
            let subject = try Self.subject("s-\(UUID().uuidString.prefix(8))", status: "not-education-ready", by: me)
            #expect(try await api.push([subject], as: laptop).status == .ok)
            #expect(try await api.storage.closedSubjects().allSatisfy { $0.id != subject.id })

            let closing = subject.updating(["status": .string("closed")], by: me)
            #expect(try await api.push([closing], as: laptop, batchID: "b2").status == .ok)
            let closedAt = try #require(try await api.storage.closedSubjects().first { $0.id == subject.id }).closedAt
            #expect(abs(closedAt.timeIntervalSinceNow) < 120)
            // Another edit of a closed course keeps the time it closed.
            let edited = closing.updating(["nextStep": .text("Aftercare call.\n")], by: me)
            #expect(try await api.push([edited], as: laptop, batchID: "b3").status == .ok)
            #expect(try await api.storage.closedSubjects().first { $0.id == subject.id }?.closedAt == closedAt)

            // Reopened: no longer closed, so no rule takes it, however long ago it first closed.
            let reopened = edited.updating(["status": .string("in-job")], by: me)
            #expect(try await api.push([reopened], as: laptop, batchID: "b4").status == .ok)
            #expect(try await api.storage.closedSubjects().allSatisfy { $0.id != subject.id })
            let plan = try await Retention(storage: api.storage)
                .plan(team: api.team, closedAfter: try RetentionPeriod(parsing: "90d"), asOf: Self.years(10))
            #expect(!plan.purges.contains { $0.subject == subject.id })
        }
    }

    @Test(arguments: Backend.enabled)
    func aSharedCourseGoesOnlyWhenEveryReadingTeamsRuleLetsItGo(_ backend: Backend) async throws {
        try await APIHarness.run(backend) { api in
            let north = api.team
            let laptop = try await api.enrol("laptop")
            let (south, theirs) = try await api.enrolOutsider("jobcentre laptop")
            try await api.storage.addPartner(team: north, with: south, at: Date())
            let me = laptop.replica
            let subject = try Self.subject("shared-\(UUID().uuidString.prefix(8))", status: "closed", by: me)
                .addingTags([north, south], to: "consent", by: me)
                .addingTags([north, south], to: "scope", by: me)
            #expect(try await api.push([subject], as: laptop).status == .ok)
            let southBefore = try Self.page(try await api.pull(as: theirs, team: south, version: 2))
            #expect(southBefore.records.map(\.key) == [subject.key])

            let retention = Retention(storage: api.storage)
            let rule = try RetentionPeriod(parsing: "5y")
            let kept = try await retention.run(team: north, closedAfter: rule, asOf: Self.years(6))
            #expect(kept.plan.keptShared == [subject.id] && kept.purged.isEmpty, "south has no rule: it keeps it")

            try await api.storage.setRetentionRule(
                team: south, closedAfter: try .init(count: 10, unit: .years), at: Date())
            #expect(try await retention.run(team: north, closedAfter: rule, asOf: Self.years(6)).purged.isEmpty)
            try await api.storage.setRetentionRule(
                team: south, closedAfter: try .init(count: 3, unit: .years), at: Date())
            #expect(try await api.storage.retentionRules().first { $0.team == south }?.closedAfter.description == "3y")
            // Saved rules are what serve applies: north has none, south's own run takes the course now.
            let outcomes = try await retention.runSavedRules(asOf: Self.years(6))
            let southRun = try #require(outcomes.first { $0.plan.team == south })
            #expect(southRun.plan.keptShared == [subject.id], "north, which also reads it, has no rule")
            try await api.storage.setRetentionRule(team: north, closedAfter: rule, at: Date())
            let both = try await retention.runSavedRules(asOf: Self.years(6))
            #expect(both.flatMap(\.purged).contains(subject.key.description))

            // South's devices no longer hold its content either.
            let southAfter = try Self.page(
                try await api.pull(as: theirs, team: south, cursor: southBefore.nextCursor, version: 2))
            let entry = southAfter.records.first { $0.key == subject.key }
            #expect(entry?.isPurged == true || southAfter.removed.contains(subject.key), "\(southAfter)")

            try await api.storage.setRetentionRule(team: south, closedAfter: nil, at: Date())
            #expect(try await api.storage.retentionRules().allSatisfy { $0.team != south })
            let ruleEvents = try await api.storage.auditEvents(limit: 5_000).filter { $0.action == .retention }
            #expect(ruleEvents.contains { $0.team == south && $0.detail == "rule removed" })
        }
    }

    /// `serve` applies saved rules on its own: a course the server stored closed two days ago goes under a `1d` rule.
    @Test(arguments: Backend.enabled)
    func serveAppliesSavedRules(_ backend: Backend) async throws {
        let configuration = ServerConfiguration(port: 0, retentionInterval: .milliseconds(200))
        try await APIHarness.run(backend, configuration: configuration, mode: .live) { api in
            let subject = try Self.subject("due-\(UUID().uuidString.prefix(8))", status: "closed", by: .random())
            let body = try WireCoding.encode(subject)
            let twoDaysAgo = Date().addingTimeInterval(-2 * 86_400)
            _ = try await api.storage.applyPush(
                team: api.team, keys: [subject.key], subjects: [], checkpoint: nil,
                audit: AuditEvent(at: twoDaysAgo, action: .push, deviceID: nil, adviser: nil, team: api.team)
            ) { _, _, _ in
                MergeStep(newBody: body, routing: RecordRouting(scope: [api.team], closedCourse: true), outcome: ())
            }
            let closedAt = try #require(try await api.storage.closedSubjects().first { $0.id == subject.id }).closedAt
            #expect(abs(closedAt.timeIntervalSince(twoDaysAgo)) < 1)
            let daily = try RetentionPeriod(count: 1, unit: .days)
            try await api.storage.setRetentionRule(team: api.team, closedAfter: daily, at: Date())

            let deadline = ContinuousClock.now + .seconds(20)
            var purged: AuditEvent?
            while purged == nil, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                purged = try await api.storage.auditEvents(touching: [subject.key.description])
                    .first { $0.action == .purge }
            }
            let event = try #require(purged, "serve did not apply the saved rule")
            #expect(event.detail?.contains("retention: closed-after 1d") == true)
            #expect(try await api.storage.closedSubjects().allSatisfy { $0.id != subject.id })
        }
    }

    @Test func periodsParseAndBadOnesAreRefused() throws {
        #expect(try RetentionPeriod(parsing: "5y") == RetentionPeriod(count: 5, unit: .years))
        #expect(try RetentionPeriod(parsing: "18m").unit == .months)
        #expect(try RetentionPeriod(parsing: "90d").description == "90d")
        for bad in ["", "5", "y", "0y", "05y", "5Y", "5w", "-5y", "5 y", "1.5y", "99999d", "5yy"] {
            #expect(throws: RetentionError.invalidPeriod(bad)) { try RetentionPeriod(parsing: bad) }
        }
        let day = ISO8601DateFormatter().date(from: "2026-03-31T00:00:00Z")!
        let iso = ISO8601DateFormatter()
        #expect(try RetentionPeriod(parsing: "1m").start(before: day) == iso.date(from: "2026-02-28T00:00:00Z"))
        #expect(try RetentionPeriod(parsing: "5y").start(before: day) == iso.date(from: "2021-03-31T00:00:00Z"))
        #expect(Schemas.closingStatuses == ["closed"])
    }
}
