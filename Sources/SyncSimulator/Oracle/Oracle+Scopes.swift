import LocalStore
import SyncProtocol

extension Oracle {
    /// The records each team reads in the server's final state (README §14.1): a subject's readers are its
    /// scope (its home team while the scope names none), a note's are its scope within its subject's scope.
    ///
    /// Computed here from the records alone, with ``ScopeRule/readers(scope:collection:subjectScope:)``, not
    /// from the server's feeds, so a server that routes wrongly cannot vouch for itself.
    func readSets() -> [[RecordKey: Record]] {
        let teams = simulation.roster.teams
        let index = Dictionary(uniqueKeysWithValues: teams.map { ($0.name, $0.index) })
        var result = Array(repeating: [RecordKey: Record](), count: teams.count)
        for record in serverRecords.values {
            for team in readers(of: record) {
                if let number = index[team] { result[number][record.key] = record }
            }
        }
        return result
    }

    /// The teams that read `record` in the final state.
    func readers(of record: Record) -> Set<String> {
        var subjectScope: Set<String>?
        if let id = record.subjectID {
            let key = RecordKey(collection: ScopeFields.subjects, id: id)
            subjectScope = serverRecords[key].map { $0.scope(home: home(of: key)) }
        }
        return ScopeRule.readers(
            scope: record.scope(home: home(of: record.key)), collection: record.collection, subjectScope: subjectScope)
    }

    /// The team a record was first pushed to: the team of the device that created it.
    func home(of key: RecordKey) -> String {
        simulation.teamOf[key].map { simulation.roster.teams[$0].name } ?? ""
    }

    /// A record that left a LocalStore device and that its team does not read is gone from the store's queries and
    /// its search index (a token of the note's text finds nothing of it).
    mutating func checkRemovals(of store: LocalStore, device: SimulatedDevice, expected: [RecordKey: Record]) async {
        for key in await device.storage.everRemoved.sorted() where expected[key] == nil {
            let name = simulation.alias(key)
            if key.collection == ScopeFields.notes {
                if (try? store.note(id: key.id)) != nil {
                    fail("removal", "\(device.name) still opens removed \(name)")
                }
                let text = serverRecords[key]?.value("body")?.textValue ?? ""
                for token in NoteText.tokens(in: text).prefix(2) {
                    let hits = (try? store.search(token)) ?? []
                    if hits.contains(where: { $0.note.id == key.id }) {
                        fail("removal", "\(device.name) still finds removed \(name) in its search index")
                    }
                }
            } else if ((try? store.subjects()) ?? []).contains(where: { $0.id == key.id }) {
                fail("removal", "\(device.name) still lists removed subject \(name)")
            }
        }
    }
}
