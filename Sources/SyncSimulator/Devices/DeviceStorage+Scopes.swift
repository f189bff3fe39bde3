import Foundation
import LocalStore
import SyncProtocol

extension DeviceStorage {
    /// The writes a scope action (version 2) makes, through the record model's own operations, as LocalStore's
    /// sharing commands make them: the action's record first, then the other records it changes. Empty when the
    /// action does not apply (the record is gone, the subject is not shared with the team).
    func scopeWrites(_ action: LocalAction, date: Date) async -> [Record] {
        switch action {
        case .shareSubject(let key, _, let team, let own):
            guard let subject = await liveRecord(key) else { return [] }
            return [Self.sharing(subject, with: team, own: own, date: date, by: replica)]
        case .unshareSubject(let key, _, let team):
            guard let subject = await liveRecord(key),
                subject.scopeTeams.contains(team) || subject.consentTeams.contains(team)
            else { return [] }
            var updated = subject.narrowing(scopeBy: [team], by: replica)
            if subject.consentTeams.contains(team) {
                updated = updated.removingTags([team], from: ScopeFields.consent, by: replica)
            }
            updated = updated.forgettingAccessEnds(of: team, by: replica)
            updated = Self.appending(
                "\(Self.day(date)) consent withdrawn: no longer shared with \(team)", to: updated,
                by: replica)
            var writes = [updated]
            for noteKey in notes {
                guard let note = await record(noteKey), note.subjectID == key.id, note.scopeTeams.contains(team)
                else { continue }
                writes.append(note.narrowing(scopeBy: [team], by: replica))
            }
            return writes
        case .shareNote(let key, let team, let own):
            guard let note = await liveRecord(key), let subjectID = note.subjectID,
                let subject = await record(RecordKey(collection: ScopeFields.subjects, id: subjectID)),
                subject.scope(home: own).contains(team)
            else { return [] }
            let shared = note.widening(scopeTo: [team], ownTeam: own, by: replica)
            return shared == note ? [] : [shared]
        case .narrowNote(let key, let own):
            guard let note = await record(key), !note.isPurged else { return [] }
            let narrowed = note.narrowing(scopeBy: note.scopeTeams.subtracting([own]), by: replica)
            return narrowed == note ? [] : [narrowed]
        case .handover(let key, _, let adviser, let team, let own, let noteID, let text, let endsOn):
            guard let subject = await liveRecord(key) else { return [] }
            var updated = Self.sharing(subject, with: team, own: own, date: date, by: replica)
            if let endsOn, let end = AccessEnd(team: own, day: endsOn) {
                updated = updated.endingAccess(end, by: replica)
            } else {
                updated = updated.narrowing(scopeBy: [own], by: replica)
            }
            updated = updated.updating(["responsibleAdviser": .string(adviser)], by: replica)
            let values: [String: FieldValue] = [
                "subject": .reference(key.id), "kind": .string("handover"),
                "occurredAt": .timestamp(Timestamp(date)), "body": .text(text),
                "author": .string(replica.rawValue), "device": .string(replica.rawValue),
                ScopeFields.scope: .tags([own, team]),
            ]
            guard
                let note = try? Record.create(
                    collection: ScopeFields.notes, id: noteID, values: values, by: replica, schema: Schemas.notes)
            else { return [] }
            return [updated, note]
        default:
            return []
        }
    }

    /// Performs a scope action through LocalStore's sharing commands, as `fieldcli subject share` and the others
    /// do; an action the store refuses as not applicable (a subject not shared with the team) does nothing.
    func applyScope(_ action: LocalAction, to store: LocalStore, date: Date) async throws {
        do {
            switch action {
            case .shareSubject(_, let reference, let team, _):
                try store.shareSubject(
                    reference: reference, with: team, consent: "share the plan with \(team)", now: date)
            case .unshareSubject(_, let reference, let team):
                try store.unshareSubject(reference: reference, from: team, now: date)
            case .shareNote(let key, let team, _):
                try store.shareNote(id: key.id, with: team)
            case .narrowNote(let key, let own):
                // LocalStore undoes a refused note share with an unshare of the subject, as fieldcli tells the user.
                guard let note = await record(key), let subjectID = note.subjectID,
                    let subject = await record(RecordKey(collection: ScopeFields.subjects, id: subjectID)),
                    let reference = subject.value("reference")?.stringValue
                else { return }
                for team in note.scopeTeams.subtracting([own]).sorted() {
                    do {
                        try store.unshareSubject(reference: reference, from: team, now: date)
                    } catch let error as LocalStoreError {
                        if case .invalidInput = error { continue }
                        throw error
                    }
                }
            case .handover(_, let reference, let adviser, let team, _, _, let text, let endsOn):
                try store.handOver(
                    SubjectHandover(
                        subjectReference: reference, toAdviser: adviser, team: team, note: text,
                        consent: "the handover note",
                        keepAccessUntil: endsOn.flatMap { AccessEnd(team: team, day: $0)?.date }),
                    now: date)
            default:
                break
            }
        } catch let error as LocalStoreError {
            if case .notFound = error { return }
            if case .invalidInput = error { return }
            throw error
        }
    }

    private func liveRecord(_ key: RecordKey) async -> Record? {
        guard let record = await record(key), !record.isDeleted, !record.isPurged else { return nil }
        return record
    }

    /// Consent to `team` (a fresh add: it wins over a concurrent withdrawal), a consent-log line, and the scope
    /// widened to it.
    static func sharing(
        _ subject: Record, with team: String, own: String, date: Date, by replica: ReplicaID
    ) -> Record {
        var updated = subject.addingTags([team], to: ScopeFields.consent, by: replica)
        updated = appending("\(day(date)) consent to share with \(team)", to: updated, by: replica)
        updated = updated.updating(
            ["consentRecorded": .bool(true), "consentAt": .timestamp(Timestamp(date))], by: replica)
        return updated.widening(scopeTo: [team], ownTeam: own, by: replica)
    }

    static func appending(_ line: String, to subject: Record, by replica: ReplicaID) -> Record {
        let current = subject.value(ScopeFields.consentLog)?.textValue ?? ""
        let separator = current.isEmpty || current.hasSuffix("\n") ? "" : "\n"
        return subject.updating([ScopeFields.consentLog: .text(current + separator + line + "\n")], by: replica)
    }

    static func day(_ date: Date) -> String {
        AccessEndDay.of(date)
    }
}

/// `YYYY-MM-DD` of a date in UTC, the form of access-end days.
enum AccessEndDay {
    static func of(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day], from: date)
        return String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    }
}
