import SyncProtocol

/// Decides which teams' change feeds a write goes to (protocol version 2, README §14): the one routing rule
/// both storage backends apply, so they cannot drift.
///
/// A team's feed lists every record the team reads at the position of its latest change, and every record the
/// team stopped reading at the position where it stopped (a removal). A changed record gets a new position in
/// the feed of every team reading it afterwards; a team that stops reading it gets a removal; a team that starts
/// reading it without a change of content (a subject shared with it brings its notes along) gets the record.
///
/// The backend feeds it, inside the write transaction: each record the batch changed (``write(_:home:readers:
/// routing:)``), then the scopes of the subjects the notes refer to (``subjectsToLookUp``), then the other notes
/// of every subject whose readers changed (``subjectsToFanOut``, ``fanOut(note:home:readers:scope:)``). Then
/// ``writes`` are the feed entries to make, in order.
struct FeedPlanner {
    /// The feed entry to make for one team.
    struct FeedWrite: Hashable {
        var team: String
        var key: RecordKey
        var removed: Bool
    }

    private struct Entry {
        var home: String
        var oldReaders: Set<String>
        var scope: Set<String>
        var subject: String?
        var contentChanged: Bool
    }

    private var order: [RecordKey] = []
    private var entries: [RecordKey: Entry] = [:]
    /// Scopes of subjects held before the batch, as the backend looked them up.
    private var storedSubjectScopes: [String: Set<String>] = [:]

    /// Notes a record that the batch changed.
    mutating func write(_ key: RecordKey, home: String, readers: Set<String>, routing: RecordRouting) {
        if var entry = entries[key] {
            // Written twice in one batch: the last routing counts, the readers before the batch stay.
            entry.scope = routing.scope
            entry.subject = routing.subject
            entries[key] = entry
            return
        }
        order.append(key)
        entries[key] = Entry(
            home: home, oldReaders: readers, scope: routing.scope, subject: routing.subject, contentChanged: true)
    }

    /// The subjects whose scope the routing needs and the batch did not write.
    var subjectsToLookUp: Set<String> {
        var ids = Set(entries.values.compactMap(\.subject))
        ids.subtract(order.filter { $0.collection == ScopeFields.subjects }.map(\.id))
        return ids.subtracting(storedSubjectScopes.keys)
    }

    /// Records the stored scope of a subject (`nil`: the server does not hold it).
    mutating func subjectScope(_ id: String, is scope: Set<String>?) {
        if let scope { storedSubjectScopes[id] = scope }
    }

    /// A subject's scope after the batch, `nil` when the server does not hold it.
    func scope(ofSubject id: String) -> Set<String>? {
        if let entry = entries[RecordKey(collection: ScopeFields.subjects, id: id)] { return entry.scope }
        return storedSubjectScopes[id]
    }

    /// The readers of a record after the batch.
    private func readers(of key: RecordKey, _ entry: Entry) -> Set<String> {
        ScopeRule.readers(
            scope: entry.scope, collection: key.collection, subjectScope: entry.subject.flatMap(scope(ofSubject:)))
    }

    /// Subjects the batch changed whose readers changed: their other notes may change readers too.
    var subjectsToFanOut: [String] {
        order.filter { key in
            guard key.collection == ScopeFields.subjects, let entry = entries[key] else { return false }
            return readers(of: key, entry) != entry.oldReaders
        }.map(\.id)
    }

    /// Notes a stored note of a subject whose readers changed (ignored when the batch wrote it).
    mutating func fanOut(note key: RecordKey, home: String, readers: Set<String>, scope: Set<String>, subject: String) {
        guard entries[key] == nil else { return }
        order.append(key)
        entries[key] = Entry(home: home, oldReaders: readers, scope: scope, subject: subject, contentChanged: false)
    }

    /// The feed entries to make, record by record in batch order, teams in byte order.
    var writes: [FeedWrite] {
        var result: [FeedWrite] = []
        for key in order {
            guard let entry = entries[key] else { continue }
            let after = readers(of: key, entry)
            for team in after.sorted() where entry.contentChanged || !entry.oldReaders.contains(team) {
                result.append(FeedWrite(team: team, key: key, removed: false))
            }
            for team in entry.oldReaders.subtracting(after).sorted() {
                result.append(FeedWrite(team: team, key: key, removed: true))
            }
        }
        return result
    }

    /// The routing columns to store for each record the batch changed.
    func readersAfter(_ key: RecordKey) -> Set<String>? {
        entries[key].map { readers(of: key, $0) }
    }
}

extension RecordRouting {
    /// The scope as the storage keeps it in a column: team ids in byte order, separated by spaces.
    var scopeColumn: String { scope.sorted().joined(separator: " ") }

    /// Parses ``scopeColumn``.
    static func scope(column: String) -> Set<String> {
        Set(column.split(separator: " ").map(String.init))
    }
}
