import Foundation
import SyncProtocol
import Testing

@testable import LocalStore

/// Removed notes leave the search index's data, not only its matches: FTS5 keeps a deleted note's terms beside
/// a delete marker until its segments merge, so after a sync that removed records the store rewrites the index.
@Suite("Search index after removals")
struct SearchIndexCompactionTests {
    @Test func aSyncThatRemovedRecordsLeavesNoTermsOfThemInTheIndex() async throws {
        let dir = try TemporaryDirectory("fts-compaction")
        let store = try ScopeTests.enrolledStore(dir)
        defer { store.close() }
        try store.addSubject(NewSubject(reference: "ung-1"))
        var removed: [RecordKey] = []
        for number in 0..<40 {
            let note = try store.addNote(
                NewNote(
                    subjectReference: "ung-1", kind: .walk, body: "Talked about the zyxwvut carpentry course \(number)")
            )
            removed.append(RecordKey(collection: "notes", id: note.id))
        }
        try await ScopeTests.pushAll(store)
        let before = try store.searchIndexSize()
        #expect(before.notes == 40 && before.bytes > 0)

        _ = try await store.apply(page: PullPage(records: [], nextCursor: "9", more: false, removed: removed))
        let markers = try store.searchIndexSize()
        #expect(markers.notes == 0)
        #expect(try store.search("zyxwvut").isEmpty)
        // The deleted notes' terms are still in the index's blocks until it is rewritten...
        let termsKept = try store.read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM note_fts_data WHERE instr(block, CAST('zyxwvut' AS BLOB)) > 0")
        }
        #expect(termsKept ?? 0 > 0, "FTS5 keeps a deleted note's terms until its segments merge")

        // ...which the end of a sync that removed records does.
        try await store.syncCompleted(SyncSummary(removed: removed.count))
        let after = try store.searchIndexSize()
        #expect(after.bytes < markers.bytes && after.bytes < before.bytes)
        let termsLeft = try store.read { db in
            try Int.fetchOne(
                db, sql: "SELECT count(*) FROM note_fts_data WHERE instr(block, CAST('zyxwvut' AS BLOB)) > 0")
        }
        #expect(termsLeft == 0, "no term of a removed note is left in the index")
        try store.verifyIntegrity()
    }
}
