import Foundation
import LocalStore
import SyncProtocol
import Testing

/// The same random sequence of operations on an encrypted store and on a plain one must give identical answers:
/// the encryption layer may change nothing a query can see.
@Suite("Encrypted versus plain store")
struct DifferentialTests {
    static let words = [
        "housing", "school", "placement", "bakery", "anxiety", "mother", "bus", "interview",
        "apprentice", "doctor", "football", "debt", "mentor", "harbour", "kitchen", "carpentry",
    ]

    /// Applies one operation to a store and returns a comparable trace of what it answered.
    static func step(
        _ store: LocalStore, _ operation: Int, _ rng: inout SplitMix64, noteIDs: inout [String]
    )
        throws -> String
    {
        func words(_ count: Int) -> String {
            (0..<count).map { _ in Self.words.randomElement(using: &rng)! }.joined(separator: " ")
        }
        let subject = "ung-\(Int.random(in: 0..<4, using: &rng))"
        switch operation {
        case 0..<40:
            let note = try store.addNote(
                NewNote(
                    subjectReference: subject, kind: NoteKind.allCases.randomElement(using: &rng)!,
                    occurredAt: Date(
                        timeIntervalSince1970: 1_790_000_000
                            + Double(
                                Int.random(
                                    in: 0..<1_000_000,
                                    using: &rng))),
                    place: words(1), body: words(Int.random(in: 3..<60, using: &rng)),
                    tags: [words(1), words(1)]))
            noteIDs.append(note.id)
            return "add"
        case 40..<55 where !noteIDs.isEmpty:
            let id = noteIDs.randomElement(using: &rng)!
            let note = try store.editNote(id: id, NoteChanges(append: words(5), addTags: [words(1)]))
            return "edit \(note.body.count) \(note.tags)"
        case 55..<60 where !noteIDs.isEmpty:
            let index = Int.random(in: 0..<noteIDs.count, using: &rng)
            try store.deleteNote(id: noteIDs.remove(at: index))
            return "delete"
        case 60..<75:
            // Ids differ between the stores, and ties in rank or time are ordered by id: compare as sets.
            return "search "
                + (try store.search(words(1), limit: 20).map { "\($0.note.body.count)" }
                    .sorted().joined(separator: ","))
        case 75..<85:
            return "list "
                + (try store.notes(NoteQuery(subjectReference: subject)).map { "\($0.body.count)" }
                    .sorted().joined(separator: ","))
        case 85..<92:
            return "tag " + String(try store.notes(NoteQuery(tag: words(1))).count)
        default:
            return "count " + String(try store.notes().count) + " " + String(try store.outboxCount())
        }
    }

    @Test(arguments: [LocalStore.JournalMode.wal, .rollback])
    func randomOperationsGiveIdenticalResults(journal: LocalStore.JournalMode) throws {
        for seed: UInt64 in [1, 2, 3] {
            let encryptedDir = try TemporaryDirectory("enc")
            let plainDir = try TemporaryDirectory("plain")
            let encrypted = try makeStore(encryptedDir, encrypted: true, journal: journal)
            let plain = try makeStore(plainDir, encrypted: false, journal: journal)
            for store in [encrypted, plain] {
                for index in 0..<4 { try store.addSubject(NewSubject(reference: "ung-\(index)")) }
            }
            var rngA = SplitMix64(seed: seed)
            var rngB = SplitMix64(seed: seed)
            var idsA: [String] = []
            var idsB: [String] = []
            for _ in 0..<300 {
                let operation = Int.random(in: 0..<100, using: &rngA)
                _ = Int.random(in: 0..<100, using: &rngB)
                // Ids are random per store, so map them by position: both lists grow and shrink alike.
                let traceA = try Self.step(encrypted, operation, &rngA, noteIDs: &idsA)
                let traceB = try Self.step(plain, operation, &rngB, noteIDs: &idsB)
                try #require(traceA == traceB, "seed \(seed): '\(traceA)' != '\(traceB)'")
            }
            let bodiesA = try encrypted.notes().map(\.body).sorted()
            let bodiesB = try plain.notes().map(\.body).sorted()
            #expect(bodiesA == bodiesB, "seed \(seed)")
            #expect(!bodiesA.isEmpty)
            encrypted.close()
            plain.close()
            // And it all survives a reopen.
            let again = try reopen(encryptedDir, journal: journal)
            #expect(try again.notes().map(\.body).sorted() == bodiesB)
            try again.verifyIntegrity()
            again.close()
        }
    }
}
