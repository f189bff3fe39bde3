import Foundation
import LocalStore
import SyncProtocol

extension DeviceStorage {
    /// The new state an action makes of `record`, through the record model's own operations (what
    /// an app built on the kit without LocalStore does); `nil` when the action does not apply.
    static func apply(_ action: LocalAction, to record: Record?, by replica: ReplicaID) throws -> Record? {
        switch action {
        case .addSubject(let id, let reference, let adviser, let status, let nextStep):
            guard record == nil else { return nil }
            var values: [String: FieldValue] = [
                "reference": .string(reference), "displayName": .string(reference), "status": .string(status),
                "responsibleAdviser": .string(adviser), "consentRecorded": .bool(false),
            ]
            if !nextStep.isEmpty { values["nextStep"] = .text(nextStep) }
            return try Record.create(
                collection: Schemas.subjects.collection, id: id, values: values, by: replica,
                schema: Schemas.subjects)
        case .addNote(let id, let subject, _, let note):
            guard record == nil else { return nil }
            var values: [String: FieldValue] = [
                "subject": .reference(subject.id), "kind": .string(note.kind),
                "occurredAt": .timestamp(note.occurredAt), "body": .text(note.body),
                "author": .string(replica.rawValue), "device": .string(replica.rawValue),
            ]
            if !note.place.isEmpty { values["place"] = .string(note.place) }
            if !note.tags.isEmpty { values["tags"] = .tags(Set(note.tags)) }
            if let followUp = note.followUp { values["followUp"] = .timestamp(followUp) }
            return try Record.create(
                collection: Schemas.notes.collection, id: id, values: values, by: replica, schema: Schemas.notes)
        default:
            break
        }
        // Edits of a record that is gone do nothing, as in LocalStore (whose queries no longer show it).
        guard let record, !record.isPurged else { return nil }
        switch action {
        case .editBody(_, let body):
            guard !record.isDeleted else { return nil }
            return record.updating(["body": .text(body)], by: replica)
        case .retag(_, let add, let remove):
            guard !record.isDeleted else { return nil }
            let tags = (record.value("tags")?.tagsValue ?? []).union(add).subtracting(remove)
            return record.updating(["tags": .tags(tags)], by: replica)
        case .followUp(_, let date):
            guard !record.isDeleted else { return nil }
            return record.updating(["followUp": date.map { .timestamp($0) } ?? .null], by: replica)
        case .editSubject(_, _, let status, let nextStep, let responsible):
            guard !record.isDeleted else { return nil }
            var values: [String: FieldValue] = [:]
            if let status { values["status"] = .string(status) }
            if let nextStep { values["nextStep"] = .text(nextStep) }
            if let responsible { values["responsibleAdviser"] = .string(responsible) }
            return record.updating(values, by: replica)
        case .deleteNote:
            guard !record.isDeleted else { return nil }
            return record.deleting(by: replica)
        case .resolveField(_, let field, let candidate, let manualText):
            guard case .field(_, let writes)? = record.conflicts.first(where: { $0.fieldName == field }) else {
                return nil
            }
            let value = manualText.map { FieldValue.text($0) } ?? writes[candidate % writes.count].value
            return record.resolving(field: field, with: value, by: replica)
        case .resolveDeletion(_, let keep):
            guard record.conflicts.contains(where: { $0.fieldName == nil }) else { return nil }
            return record.resolvingDeleteConflict(keep: keep, by: replica)
        case .purge:
            return record.purging(by: replica)
        case .addSubject, .addNote, .shareSubject, .unshareSubject, .shareNote, .narrowNote, .handover:
            // Created above, or a scope action (``scopeWrites(_:date:)``).
            return nil
        }
    }

    /// Performs an action through LocalStore's public API, as the `fieldcli` commands do.
    static func apply(_ action: LocalAction, to store: LocalStore) throws {
        do {
            switch action {
            case .addSubject(_, let reference, let adviser, let status, let nextStep):
                try store.addSubject(
                    NewSubject(
                        reference: reference, status: SubjectStatus(rawValue: status) ?? .notEducationReady,
                        responsibleAdviser: adviser, nextStep: nextStep))
            case .addNote(_, _, let reference, let note):
                try store.addNote(
                    NewNote(
                        subjectReference: reference, kind: NoteKind(rawValue: note.kind) ?? .informal,
                        occurredAt: note.occurredAt.date, place: note.place, body: note.body, tags: note.tags,
                        followUp: note.followUp?.date))
            case .editBody(let key, let body):
                try store.editNote(id: key.id, NoteChanges(body: body))
            case .retag(let key, let add, let remove):
                try store.editNote(id: key.id, NoteChanges(addTags: add, removeTags: remove))
            case .followUp(let key, let date):
                try store.editNote(id: key.id, NoteChanges(followUp: .some(date?.date)))
            case .editSubject(_, let reference, let status, let nextStep, let responsible):
                try store.editSubject(
                    reference: reference,
                    SubjectChanges(
                        status: status.flatMap(SubjectStatus.init(rawValue:)), responsibleAdviser: responsible,
                        nextStep: nextStep))
            case .deleteNote(let key):
                try store.deleteNote(id: key.id)
            case .resolveField(let key, let field, let candidate, let manualText):
                let conflict = try store.conflict(id: key.id)
                guard let fieldConflict = conflict.fields.first(where: { $0.field == field }) else { return }
                let choice: ConflictChoice =
                    manualText.map { .text($0) }
                    ?? .candidate(candidate % fieldConflict.candidates.count)
                try store.resolve(id: key.id, field: field, choice: choice)
            case .resolveDeletion(let key, let keep):
                let conflict = try store.conflict(id: key.id)
                guard conflict.deletedElsewhere else { return }
                try store.resolveDeletion(id: key.id, keep: keep)
            case .purge:
                throw LocalActionRefused(reason: "LocalStore has no purge command; purges come from the console")
            case .shareSubject, .unshareSubject, .shareNote, .narrowNote, .handover:
                throw LocalActionRefused(reason: "scope actions go through applyScope(_:to:date:)")
            }
        } catch let error as LocalStoreError {
            // A note deleted meanwhile, a conflict settled by a sync: the person's action no longer applies.
            if case .notFound = error { return }
            throw error
        }
    }
}
