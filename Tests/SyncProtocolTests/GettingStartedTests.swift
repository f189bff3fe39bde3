import FieldsyncTestSupport
import Foundation
import SyncProtocol
import Testing

/// The sample of SyncProtocol's "Getting started" article (SyncProtocol.docc/GettingStarted.md), compiled against
/// the public API only (no `@testable`), run, and checked against the article.
@Suite("Getting started: SyncProtocol")
struct SyncProtocolGettingStartedTests {
    @Test func theSampleMergesTwoOfflineEdits() throws {
        let laptop = try ReplicaID("laptop")
        let phone = try ReplicaID("phone")

        // Written on the laptop, offline: the record carries its own version vector.
        let note = try Record.create(
            collection: "notes", id: "n-0001",
            values: [
                "subject": .reference("ung-0142"),
                "kind": .string("walk"),
                "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_795_000_000_000)),
                "body": .text("Met at the station.\nWalked past the school.\nNext: call on Friday.\n"),
            ],
            by: laptop, schema: Schemas.notes)

        // After a sync both devices hold it; each edits it while offline.
        let onLaptop = note.updating(
            ["body": .text("Met at the station.\nWalked past the school.\nNext: call on Monday.\n")], by: laptop)
        let onPhone = try note.updating(
            [
                "body": .text("Met at the station with his sister.\nWalked past the school.\nNext: call on Friday.\n"),
                "place": .string("Station"),
            ],
            by: phone, schema: Schemas.notes)

        // The next sync merges them, in whichever order the states arrive: both devices end with the same
        // record, and the edits of different lines are both kept (a three-way merge with the text they replaced).
        let merged = onLaptop.merged(with: onPhone)
        // merged.value("body"): the phone's first line and the laptop's last line, the middle one untouched;
        // merged.value("place") == .string("Station"); merged.isInConflict == false

        #expect(merged == onPhone.merged(with: onLaptop))
        let expectedBody = "Met at the station with his sister.\nWalked past the school.\nNext: call on Monday.\n"
        #expect(merged.value("body") == .text(expectedBody))
        #expect(merged.value("place") == .string("Station"))
        #expect(!merged.isInConflict)
    }

    @Test func theArticleHoldsTheSampleOfThisTest() throws {
        let sample = try ArticleSample(article: ArticleSample.article("GettingStarted.md", of: "SyncProtocol"))
        let mismatch = try sample.mismatch(inTestFile: URL(fileURLWithPath: #filePath))
        #expect(mismatch == nil, "\(mismatch ?? "")")
    }
}
