import FieldsyncTestSupport
import Foundation
import LocalStore
import Testing

/// The sample of LocalStore's "Getting started" article (LocalStore.docc/GettingStarted.md), compiled against the
/// public API only (no `@testable`), run, and checked against the article.
@Suite("Getting started: LocalStore")
struct LocalStoreGettingStartedTests {
    @Test func theSampleWritesAndListsANote() throws {
        // A store is one directory: the encrypted database, its key file and a lock file.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fieldsync-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        // The passphrase unwraps a random data key (scrypt); every page on disk is sealed with AES-256-GCM.
        let store = try LocalStore.create(
            at: directory, passphrase: Passphrase("correct horse battery staple"), adviser: "mette")
        defer { store.close() }

        let subject = try store.addSubject(NewSubject(reference: "ung-0142", displayName: "Sofie"))
        let note = try store.addNote(
            NewNote(
                subjectReference: subject.reference, kind: .walk, place: "Station", body: "Walked past the school.",
                tags: ["Education"]))

        // Written without a network: both records also wait in the outbox for the next sync.
        let notes = try store.notes(NoteQuery(subjectReference: "ung-0142"))
        // notes.map(\.id) == [note.id], notes[0].tags == ["education"], notes[0].author == "mette"
        // try store.syncStatus().unsyncedChanges == 2

        #expect(notes.map(\.id) == [note.id])
        #expect(notes[0].tags == ["education"])
        #expect(notes[0].author == "mette")
        #expect(try store.syncStatus().unsyncedChanges == 2)
        // Encrypted: no file of the store holds the note's text.
        for file in try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil) {
            let bytes = try Data(contentsOf: file)
            #expect(bytes.range(of: Data("Walked past the school".utf8)) == nil, "\(file.lastPathComponent)")
        }
    }

    @Test func theArticleHoldsTheSampleOfThisTest() throws {
        let sample = try ArticleSample(article: ArticleSample.article("GettingStarted.md", of: "LocalStore"))
        let mismatch = try sample.mismatch(inTestFile: URL(fileURLWithPath: #filePath))
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
