import Foundation
import GRDB
import SyncProtocol

/// A handover of a young person's course to the next responsible adviser (`fieldcli subject handover`).
public struct SubjectHandover: Sendable {
    /// The subject's reference, or its id or a unique id prefix.
    public var subjectReference: String
    /// The adviser who becomes responsible.
    public var toAdviser: String
    /// The receiving team; `nil` (or this store's team) for a handover within the team.
    public var team: String?
    /// The handover note's text: what passes on.
    public var note: String
    /// Across teams: what the young person agreed to share with the receiving team (required there).
    public var consent: String?
    /// Across teams: the sending team keeps reading until this moment (its access ends at the start of that UTC
    /// day); `nil` ends it with the handover.
    public var keepAccessUntil: Date?

    /// Creates a handover.
    public init(
        subjectReference: String, toAdviser: String, team: String? = nil, note: String, consent: String? = nil,
        keepAccessUntil: Date? = nil
    ) {
        self.subjectReference = subjectReference
        self.toAdviser = toAdviser
        self.team = team
        self.note = note
        self.consent = consent
        self.keepAccessUntil = keepAccessUntil
    }
}

/// What a handover wrote.
public struct HandoverResult: Sendable {
    /// The subject as it is now on this device.
    public var subject: Subject
    /// The handover note's id.
    public var noteID: String
    /// Whether the course moved to another team.
    public var acrossTeams: Bool
    /// Across teams with an overlap: the access end recorded for this store's team (`TEAM@YYYY-MM-DD`).
    public var accessEnd: String?
}

/// Sharing a young person's course with other teams, with their consent (protocol version 2, README §14).
///
/// Every change is an ordinary causal write that syncs like any edit: the scope (the teams that read the record),
/// the consent (the teams the young person agreed to), one consent-log line per consent given or withdrawn, and the
/// days teams' access ends. The server checks them again: partners, consent, a note only within its subject's scope.
extension LocalStore {
    /// The team this store syncs with (from its enrolment).
    ///
    /// - Throws: `LocalStoreError.invalidInput` when the store is not enrolled yet: sharing names the own team.
    public func ownTeam() throws -> String {
        guard let team = try enrolment()?.enrolment.team else {
            throw LocalStoreError.invalidInput(
                "this store is not enrolled in a team yet, so it cannot share: enrol first ('fieldcli enroll')")
        }
        return team
    }

    /// Shares a subject with `team`: records the young person's consent (the `consent` field, a consent-log line
    /// naming who recorded it, when, for which team and to what; `consentRecorded`/`consentAt`) and widens its scope.
    ///
    /// ```swift
    /// try store.shareSubject(reference: "ung-0142", with: "jobcentre", consent: "share the plan for the placement")
    /// ```
    ///
    /// - Throws: `LocalStoreError.invalidInput` for an empty consent, a team that is not a team id or is this
    ///   store's, a store not enrolled, or a consent log in conflict; `.notFound`.
    @discardableResult
    public func shareSubject(
        reference: String, with team: String, consent: String, now: Date = Date()
    ) throws
        -> Subject
    {
        let own = try ownTeam()
        try Self.requireOtherTeam(team, own: own)
        let agreed = try Self.consentText(consent)
        return try write { db in
            let record = try liveSubjectRecord(db, reference)
            let line = consentLine(
                now, team: own, "consent from the young person to share with \(team) — \"\(agreed)\"")
            let shared = try sharing(record, with: team, own: own, line: line, now: now)
            try saveRecord(db, shared, local: true)
            return try fetchSubject(db, id: record.id)
        }
    }

    /// Ends sharing a subject with `team`: removes it from the scope and the consent, drops its access end, and logs
    /// the withdrawal. Notes shared with the team leave it too (a note's readers are within its subject's), and the
    /// team leaves their scopes as well: sharing again later takes a new consent and shares no note by itself, and a
    /// share the server refused (a team that is not a partner) is undone for the notes too.
    /// `consentRecorded` stays: it is about the course, not one team.
    ///
    /// - Throws: `LocalStoreError.invalidInput` when the subject is not shared with `team`, for this store's own
    ///   team (its access ends with a handover), a store not enrolled, or a consent log in conflict; `.notFound`.
    @discardableResult
    public func unshareSubject(reference: String, from team: String, now: Date = Date()) throws -> Subject {
        let own = try ownTeam()
        try Self.requireOtherTeam(team, own: own)
        return try write { db in
            let record = try liveSubjectRecord(db, reference)
            guard record.scopeTeams.contains(team) || record.consentTeams.contains(team) else {
                throw LocalStoreError.invalidInput("the subject is not shared with team '\(team)'")
            }
            var updated = record.narrowing(scopeBy: [team], by: replicaID)
            if record.consentTeams.contains(team) {
                updated = updated.removingTags([team], from: ScopeFields.consent, by: replicaID)
            }
            updated = updated.forgettingAccessEnds(of: team, by: replicaID)
            let line = consentLine(now, team: own, "consent withdrawn — no longer shared with \(team)")
            updated = try appending(line, toLogOf: updated)
            try saveRecord(db, updated, local: true)
            let noteIDs = try String.fetchAll(
                db, sql: "SELECT id FROM note WHERE subjectID = ? ORDER BY rowid", arguments: [record.id])
            for noteID in noteIDs {
                guard let note = try loadRecord(db, collection: Collection.notes, id: noteID),
                    note.scopeTeams.contains(team)
                else { continue }
                try saveRecord(db, note.narrowing(scopeBy: [team], by: replicaID), local: true)
            }
            return try fetchSubject(db, id: record.id)
        }
    }

    /// Shares one note with `team`, which must already read the note's subject.
    ///
    /// - Returns: the note's scope after the write, sorted.
    /// - Throws: `LocalStoreError.invalidInput` when the subject is not shared with `team`, for this store's own team,
    ///   or a store not enrolled; `.notFound`.
    @discardableResult
    public func shareNote(id: String, with team: String) throws -> [String] {
        let own = try ownTeam()
        try Self.requireOtherTeam(team, own: own)
        return try write { db in
            let record = try liveNoteRecord(db, prefix: id)
            let subject = try record.subjectID.flatMap {
                try loadRecord(db, collection: Collection.subjects, id: $0)
            }
            guard let subject, subject.scope(home: own).contains(team) else {
                throw LocalStoreError.invalidInput(
                    "the note's subject is not shared with team '\(team)': share the subject first "
                        + "('fieldcli subject share')")
            }
            let shared = record.widening(scopeTo: [team], ownTeam: own, by: replicaID)
            if shared != record { try saveRecord(db, shared, local: true) }
            return shared.scopeTeams.sorted()
        }
    }

    /// Hands a young person's course to the next responsible adviser: writes the handover note and makes `toAdviser`
    /// responsible. Across teams it also shares the subject with the receiving team (consent required), the note
    /// reads by both teams, and the sending team's access ends: at once (this team leaves the subject's scope in the
    /// same write, so after the next sync this team's devices drop the subject and its notes), or on the day
    /// `keepAccessUntil` falls on (an `accessEnds` entry; the server ends it then).
    ///
    /// ```swift
    /// try store.handOver(SubjectHandover(
    ///     subjectReference: "ung-0142", toAdviser: "jonas", team: "jobcentre", note: "Starts at the workshop in May",
    ///     consent: "the handover note and the plan", keepAccessUntil: Date().addingTimeInterval(30 * 86_400)))
    /// ```
    ///
    /// - Throws: `LocalStoreError.invalidInput` for an empty adviser or note, a missing consent across teams,
    ///   consent or an overlap within the team, an overlap that ends today or earlier, a store not enrolled (across
    ///   teams), a handover across teams without overlap of a subject with unsynced changes (sync first: the server
    ///   may not hold it yet, and takes a new record only with the pushing team in its scope); `.notFound`.
    @discardableResult
    public func handOver(_ handover: SubjectHandover, now: Date = Date()) throws -> HandoverResult {
        let receiver = handover.toAdviser.trimmingCharacters(in: .whitespaces)
        guard !receiver.isEmpty, receiver.count <= 64, !receiver.contains(where: \.isNewline) else {
            throw LocalStoreError.invalidInput("name the adviser who takes over (1–64 characters)")
        }
        guard Self.hasText(handover.note) else {
            throw LocalStoreError.invalidInput("a handover needs a note: what passes on (--note)")
        }
        let enrolledTeam = try enrolment()?.enrolment.team
        let receivingTeam = handover.team.flatMap { $0 == enrolledTeam ? nil : $0 }
        var own: String?
        var agreed: String?
        var accessEnd: AccessEnd?
        if let receivingTeam {
            own = try ownTeam()
            try Self.requireOtherTeam(receivingTeam, own: own!)
            guard let consent = handover.consent else {
                throw LocalStoreError.invalidInput(
                    "a handover to another team needs the young person's consent: --consent \"what they agreed to\"")
            }
            agreed = try Self.consentText(consent)
            if let until = handover.keepAccessUntil {
                let day = Self.utcDay(until)
                guard day > Self.utcDay(now), let end = AccessEnd(team: own!, day: day) else {
                    throw LocalStoreError.invalidInput("the overlap (--keep-access) must last at least one day")
                }
                accessEnd = end
            }
        } else if handover.consent != nil || handover.keepAccessUntil != nil {
            throw LocalStoreError.invalidInput(
                "--consent and --keep-access are for a handover to another team (--team)")
        }
        return try write { db in
            let record = try liveSubjectRecord(db, handover.subjectReference)
            if receivingTeam == nil, record.string("responsibleAdviser") == receiver {
                throw LocalStoreError.invalidInput("\(receiver) is already responsible for the subject")
            }
            // Ending the own team's access in the same write leaves a scope without the team the push goes to,
            // which the server takes only for a subject it holds already (a new record's scope must include the
            // team it is pushed to). Whether it does is not known here while the subject has unsynced changes.
            if receivingTeam != nil, accessEnd == nil,
                try Int64.fetchOne(
                    db, sql: "SELECT seq FROM outbox WHERE collection = ? AND id = ?",
                    arguments: [Collection.subjects, record.id]) != nil
            {
                throw LocalStoreError.invalidInput(
                    "the subject has changes that are not synced yet: sync first, then hand over (or keep access "
                        + "for a while with --keep-access)")
            }
            var subject = record
            var noteValues: [String: FieldValue] = [
                "subject": .reference(record.id),
                "kind": .string(NoteKind.handover.rawValue),
                "occurredAt": .timestamp(Timestamp(now)),
                "body": .text(handover.note),
                "author": .string(adviser),
                "device": .string(deviceName),
            ]
            if let receivingTeam, let own, let agreed {
                let line = consentLine(
                    now, team: own,
                    "consent from the young person to share with \(receivingTeam) — \"\(agreed)\" "
                        + "(handover to \(receiver))")
                subject = try sharing(subject, with: receivingTeam, own: own, line: line, now: now)
                if let accessEnd {
                    subject = subject.endingAccess(accessEnd, by: replicaID)
                } else {
                    subject = subject.narrowing(scopeBy: [own], by: replicaID)
                }
                noteValues[ScopeFields.scope] = .tags([own, receivingTeam])
            }
            subject = subject.updating(["responsibleAdviser": .string(receiver)], by: replicaID)
            try saveRecord(db, subject, local: true)
            let note = try SyncRecord.create(
                collection: Collection.notes, id: Self.newRecordID(), values: noteValues, by: replicaID,
                schema: Schemas.notes)
            try saveRecord(db, note, local: true, isNew: true)
            return HandoverResult(
                subject: try fetchSubject(db, id: record.id), noteID: note.id, acrossTeams: receivingTeam != nil,
                accessEnd: accessEnd?.tag)
        }
    }

    /// Subjects handed over to this store's adviser that they have not taken up yet: they are responsible, a
    /// handover note is the latest about the subject written by someone else, and they wrote nothing later. One per
    /// subject (its latest handover note), oldest handover first, as follow-ups due at once.
    public func handoversToMe() throws -> [FollowUp] {
        try read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    \(Self.noteSelect)
                    WHERE note.kind = ? AND note.author != ? AND subject.responsibleAdviser = ?
                      AND NOT EXISTS (
                        SELECT 1 FROM note later WHERE later.subjectID = note.subjectID
                          AND later.occurredAt > note.occurredAt AND (later.author = ? OR later.kind = ?))
                    ORDER BY note.occurredAt, note.id
                    """,
                arguments: [NoteKind.handover.rawValue, adviser, adviser, adviser, NoteKind.handover.rawValue])
            var seen: Set<String> = []
            return try rows.compactMap { row in
                let note = try Note(row: row)
                guard seen.insert(note.subjectID).inserted else { return nil }
                return FollowUp(note: note, due: note.occurredAt, daysOverdue: 0, handover: true)
            }
        }
    }

    // MARK: Helpers

    /// Refuses a new note about a subject this store's team no longer reads (handed over to another team, not
    /// synced yet): nobody would read the note, not even its author once the removal comes.
    func requireReadableSubject(_ db: Database, _ subject: Subject) throws {
        guard !subject.scope.isEmpty, let json = try metaValue(db, MetaKey.enrolment),
            let team = try? JSONDecoder().decode(Enrolment.self, from: Data(json.utf8)).team,
            !subject.scope.contains(team)
        else { return }
        throw LocalStoreError.invalidInput(
            "your team no longer reads this subject (it was handed over): a note about it would reach nobody")
    }

    /// The causal state of the live subject with this reference, id or unique id prefix.
    private func liveSubjectRecord(_ db: Database, _ reference: String) throws -> SyncRecord {
        let subject = try resolveSubject(db, reference)
        guard let record = try loadRecord(db, collection: Collection.subjects, id: subject.id) else {
            throw LocalStoreError.notFound(kind: "subject", id: reference)
        }
        return record
    }

    /// The writes of sharing a subject with `team`: its consent, the log line, the consent flags and the scope.
    private func sharing(
        _ record: SyncRecord, with team: String, own: String, line: String, now: Date
    ) throws
        -> SyncRecord
    {
        // A fresh add even when the team is named already: consent given now wins over a concurrent withdrawal.
        var updated = record.addingTags([team], to: ScopeFields.consent, by: replicaID)
        updated = try appending(line, toLogOf: updated)
        updated = updated.updating(
            ["consentRecorded": .bool(true), "consentAt": .timestamp(Timestamp(now))], by: replicaID)
        return updated.widening(scopeTo: [team], ownTeam: own, by: replicaID)
    }

    /// Appends one line to a subject's consent log. A log in conflict is refused: writing over it would drop the
    /// other device's line.
    private func appending(_ line: String, toLogOf record: SyncRecord) throws -> SyncRecord {
        guard !record.isInConflict(field: ScopeFields.consentLog) else {
            throw LocalStoreError.invalidInput(
                "the subject's consent log is in conflict: resolve it first ('fieldcli conflicts')")
        }
        let current = record.string(ScopeFields.consentLog) ?? ""
        let separator = current.isEmpty || current.hasSuffix("\n") ? "" : "\n"
        return record.updating([ScopeFields.consentLog: .text(current + separator + line + "\n")], by: replicaID)
    }

    /// A consent-log line: the UTC day, who recorded it (this store's adviser and team), and what.
    private func consentLine(_ now: Date, team: String, _ text: String) -> String {
        "\(Self.utcDay(now)) \(adviser) (\(team)): \(text)"
    }

    /// `YYYY-MM-DD` of `date` in UTC, the form of access-end days.
    static func utcDay(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }

    /// What the young person agreed to, as one line.
    private static func consentText(_ text: String) throws -> String {
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        guard !line.isEmpty else {
            throw LocalStoreError.invalidInput("say what the young person agreed to share (--consent)")
        }
        return line
    }

    /// A team to share with: a team id, not this store's own team.
    private static func requireOtherTeam(_ team: String, own: String) throws {
        guard WireLimits.isValidIdentifier(team), !team.contains("@") else {
            throw LocalStoreError.invalidInput("'\(team)' is not a team id (letters, digits, '.', '_', ':', '-')")
        }
        guard team != own else {
            throw LocalStoreError.invalidInput("team '\(team)' is this store's own team")
        }
    }
}
