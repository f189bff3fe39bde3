import Foundation
import GRDB
import Testing

@testable import LocalStore

@Suite("Derived data: verify and repair")
struct DerivedDataTests {
    @Test func aBrokenSearchIndexOrListIsFoundAndRebuiltFromTheRecords() throws {
        let dir = try TemporaryDirectory()
        let store = try makeStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-1"))
        for index in 0..<5 {
            try store.addNote(NewNote(subjectReference: "ung-1", kind: .sms, body: "carpentry course \(index)"))
        }
        #expect(try store.derivedDataProblems().isEmpty)
        // What a bug or a half-applied old version could leave: notes the search cannot find, a lost list row.
        try store.write { db in
            try db.execute(sql: "DELETE FROM note_fts WHERE rowid IN (SELECT rowid FROM note ORDER BY rowid LIMIT 2)")
            try db.execute(sql: "DELETE FROM note WHERE rowid = (SELECT max(rowid) FROM note)")
        }
        let problems = try store.derivedDataProblems()
        #expect(problems.contains("1 note row(s) missing for live records"), "\(problems)")
        #expect(problems.contains("1 search index row(s) without a note"), "\(problems)")
        #expect(problems.contains("2 note(s) missing from the search index"), "\(problems)")
        #expect(try store.search("carpentry").count == 2)

        #expect(try store.rebuildDerivedData() == 6)
        #expect(try store.derivedDataProblems().isEmpty)
        #expect(try store.search("carpentry").count == 5)
        #expect(try store.notes(NoteQuery()).count == 5)
        try store.verifyIntegrity()
    }
}
