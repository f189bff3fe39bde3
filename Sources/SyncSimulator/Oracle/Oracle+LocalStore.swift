import LocalStore
import SyncProtocol

extension Oracle {
    /// What a person sees through the LocalStore's queries (notes, subjects, conflict flags) matches the
    /// final causal state: the projections were rebuilt on every merge, and purged notes are gone.
    mutating func checkProjection(of store: LocalStore, device: String, expected: [RecordKey: Record]) {
        let notes: [Note]
        let subjects: [Subject]
        do {
            notes = try store.notes()
            subjects = try store.subjects()
        } catch {
            fail("store", "\(device) cannot list its notes and subjects: \(error)")
            return
        }
        let shownNotes = Dictionary(notes.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let shownSubjects = Dictionary(subjects.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var liveNotes = 0
        var liveSubjects = 0
        for record in expected.values.sorted(by: { $0.key < $1.key }) {
            let name = simulation.alias(record.key)
            if record.collection == Schemas.notes.collection {
                let shown = shownNotes[record.id]
                if record.isDeleted {
                    if shown != nil { fail("projection", "\(device) still lists deleted or purged \(name)") }
                    if record.isPurged, (try? store.note(id: record.id)) != nil {
                        fail("purge", "\(device) still opens purged \(name)")
                    }
                    continue
                }
                liveNotes += 1
                guard let shown else {
                    fail("projection", "\(device) does not list \(name)")
                    continue
                }
                let tags = (record.value("tags")?.tagsValue ?? []).sorted()
                if shown.body != record.value("body")?.textValue ?? "" || shown.tags.sorted() != tags
                    || shown.hasConflict != record.isInConflict
                    || shown.kind.rawValue != record.value("kind")?.stringValue
                {
                    fail("projection", "\(device) shows \(name) differently from its causal state")
                }
            } else if record.collection == Schemas.subjects.collection {
                guard !record.isDeleted else { continue }
                liveSubjects += 1
                guard let shown = shownSubjects[record.id] else {
                    fail("projection", "\(device) does not list subject \(name)")
                    continue
                }
                if shown.status.rawValue != record.value("status")?.stringValue
                    || shown.nextStep != record.value("nextStep")?.textValue ?? ""
                    || shown.responsibleAdviser != record.value("responsibleAdviser")?.stringValue ?? ""
                    || shown.hasConflict != record.isInConflict
                {
                    fail("projection", "\(device) shows subject \(name) differently from its causal state")
                }
            }
        }
        if notes.count != liveNotes { fail("projection", "\(device) lists \(notes.count) notes, \(liveNotes) live") }
        if subjects.count != liveSubjects {
            fail("projection", "\(device) lists \(subjects.count) subjects, \(liveSubjects) live")
        }
    }
}
