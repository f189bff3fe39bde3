// bench-scopes: what protocol version 2's scopes cost (issue #10), each figure against a baseline measured in the
// same run.
//
// 1. A team's cold pull from the server's storage (SQLite, in process: the storage's read, no HTTP), of N notes
//    read by the team alone (version 1's shape: no scope) and of the same N notes shared with a second team
//    (scope {north, south}, routed into both feeds). The ratio is the cost of scopes on a pull.
// 2. A device dropping M notes the team stopped reading (a pull page of removals) against applying the same M
//    notes when they arrived; the search index must shrink to nothing.
//
//   bash scripts/bench-scopes.sh [--notes N] [--removed M]     (release build; defaults 100000 and 5000)
import Foundation
import LocalStore
import Logging
import SyncProtocol
import SyncServer

let arguments = CommandLine.arguments
func option(_ name: String, _ fallback: Int) -> Int {
    arguments.firstIndex(of: name).flatMap { $0 + 1 < arguments.count ? Int(arguments[$0 + 1]) : nil } ?? fallback
}
let noteCount = max(1_000, option("--notes", 100_000))
let removedCount = max(100, option("--removed", 5_000))
func progress(_ line: String) { FileHandle.standardError.write(Data("[bench-scopes] \(line)\n".utf8)) }
func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
let clock = ContinuousClock()
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("bench-scopes-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: scratch) }
let writer = try ReplicaID("benchwriter1")

/// A note of about 600 bytes of text, as an adviser writes them.
func note(_ number: Int, subject: String, sharedWith teams: Set<String>) throws -> Record {
    let text =
        (0..<6).map { line in
            "Line \(line) of note \(number): walked past the harbour and talked about the carpentry course."
        }.joined(separator: "\n") + "\n"
    var record = try Record.create(
        collection: "notes", id: String(format: "note-%08d", number),
        values: [
            "subject": .reference(subject), "kind": .string("walk"), "body": .text(text),
            "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_790_000_000_000 + Int64(number) * 60_000)),
        ],
        by: writer, schema: Schemas.notes)
    if !teams.isEmpty { record = record.addingTags(teams, to: "scope", by: writer) }
    return record
}

// MARK: 1. Server: a team's cold pull, with and without scopes

/// Stores `noteCount` notes through the storage's push path and times full pulls of team north.
func serverPull(shared: Bool) async throws -> (seconds: Double, records: Int, pages: Int) {
    let path = scratch.appendingPathComponent(shared ? "shared.sqlite" : "plain.sqlite").path
    let storage = try SQLiteStorage(path: path, logger: Logger(label: "bench"))
    try await storage.migrate()
    for team in ["north", "south"] { _ = try await storage.createTeam(named: team, at: Date()) }
    let subject = "subject-1"
    let audit = AuditEvent(at: Date(), action: .push, deviceID: nil, adviser: nil, team: nil)
    var scopes: Set<String> = shared ? ["north", "south"] : []
    let subjectScope: Set<String> = shared ? ["north", "south"] : ["north"]
    _ = try await storage.applyPush(
        team: "north", keys: [RecordKey(collection: "subjects", id: subject)], subjects: [], checkpoint: nil,
        audit: audit
    ) { _, _, _ in
        MergeStep(
            newBody: Data(#"{"c":"subjects","i":"subject-1"}"#.utf8), routing: RecordRouting(scope: subjectScope),
            outcome: 0)
    }
    var written = 0
    while written < noteCount {
        let batch = try (written..<min(noteCount, written + 500)).map {
            try note($0, subject: subject, sharedWith: scopes)
        }
        let bodies = try batch.map { try WireCoding.encode($0) }
        let routing = RecordRouting(
            scope: shared ? ["north", "south"] : ["north"], subject: subject, minimumVersion: shared ? 2 : 1)
        _ = try await storage.applyPush(
            team: "north", keys: batch.map(\.key), subjects: [subject], checkpoint: nil, audit: audit
        ) { index, _, _ in MergeStep(newBody: bodies[index], routing: routing, outcome: 0) }
        written += batch.count
        if written % 20_000 == 0 { progress("\(shared ? "shared" : "plain"): stored \(written) notes") }
    }
    scopes = []
    // Three cold pulls, pages of 2,000 as a device asks; the median counts.
    var times: [Double] = []
    var records = 0
    var pages = 0
    for _ in 0..<3 {
        var after: Int64 = 0
        records = 0
        pages = 0
        let started = clock.now
        while true {
            let slice = try await storage.pull(
                team: "north", after: after, limit: 2_000, version: 2,
                audit: AuditEvent(at: Date(), action: .pull, deviceID: "bench", adviser: nil, team: "north"))
            records += slice.records.count
            pages += 1
            after = slice.nextSeq
            if !slice.hasMore { break }
        }
        times.append(seconds(clock.now - started))
    }
    return (times.sorted()[1], records, pages)
}

progress("server: \(noteCount) notes read by one team, then the same notes shared with a second team")
let plain = try await serverPull(shared: false)
let shared = try await serverPull(shared: true)

// MARK: 2. Device: dropping notes the team stopped reading

progress("device: \(removedCount) notes arrive, then leave")
let store = try LocalStore.create(
    at: scratch.appendingPathComponent("device"), passphrase: Passphrase("bench passphrase"), adviser: "mette",
    options: LocalStore.Options(encryption: .encrypted(.testing)))
let subjectRecord = try Record.create(
    collection: "subjects", id: "subject-1", values: ["reference": .string("ung-0142")], by: writer,
    schema: Schemas.subjects)
let notes = try (0..<removedCount).map { try note($0, subject: "subject-1", sharedWith: []) }
let arriveStarted = clock.now
_ = try await store.apply(page: PullPage(records: [subjectRecord], nextCursor: "1.1.x", more: true))
for start in stride(from: 0, to: notes.count, by: 500) {
    let chunk = Array(notes[start..<min(notes.count, start + 500)])
    _ = try await store.apply(page: PullPage(records: chunk, nextCursor: "1.\(start + 2).x", more: true))
}
let arrive = seconds(clock.now - arriveStarted)
let indexBefore = try store.searchIndexSize()
let foundBefore = try store.search("harbour", limit: removedCount + 10).count
let removeStarted = clock.now
for start in stride(from: 0, to: notes.count, by: 500) {
    let keys = notes[start..<min(notes.count, start + 500)].map(\.key)
    _ = try await store.apply(page: PullPage(records: [], nextCursor: "2.\(start).x", more: true, removed: keys))
}
// What a sync does once after it removed records (LocalStore.syncCompleted): the words leave the index.
try store.compactSearchIndex()
let removal = seconds(clock.now - removeStarted)
let indexAfter = try store.searchIndexSize()
let foundAfter = try store.search("harbour", limit: 10).count
let remaining = try store.notes(NoteQuery(limit: nil)).count
store.close()

// MARK: Report

func rate(_ count: Int, _ time: Double) -> String { String(format: "%.0f/s", Double(count) / time) }
print("bench-scopes: \(noteCount) notes on the server, \(removedCount) on the device")
print(
    String(
        format: "server cold pull, team alone (baseline)     %7.3f s  %@  %d records, %d pages",
        plain.seconds, rate(plain.records, plain.seconds), plain.records, plain.pages))
print(
    String(
        format: "server cold pull, shared with a 2nd team    %7.3f s  %@  %d records, %d pages",
        shared.seconds, rate(shared.records, shared.seconds), shared.records, shared.pages))
print(
    String(
        format: "  ratio shared / alone                      %7.2fx  (target <= 1.10x)", shared.seconds / plain.seconds)
)
print(
    String(
        format: "device: %d notes arrive (baseline)          %7.3f s  %@", removedCount, arrive,
        rate(removedCount, arrive)))
print(String(format: "device: the same notes removed              %7.3f s  %@", removal, rate(removedCount, removal)))
print(String(format: "  ratio removal / arrival                   %7.2fx", removal / arrive))
print(
    "  search index: \(indexBefore.notes) notes, \(indexBefore.bytes) bytes before; \(indexAfter.notes) notes, "
        + "\(indexAfter.bytes) bytes after; 'harbour' found \(foundBefore) before, \(foundAfter) after; \(remaining) notes left"
)
let json: [String: Any] = [
    "notes": noteCount, "pullAloneSeconds": plain.seconds, "pullSharedSeconds": shared.seconds,
    "pullRatio": shared.seconds / plain.seconds, "removed": removedCount, "arriveSeconds": arrive,
    "removeSeconds": removal, "indexBytesBefore": indexBefore.bytes, "indexBytesAfter": indexAfter.bytes,
    "indexNotesAfter": indexAfter.notes, "notesLeft": remaining,
]
print(String(decoding: try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]), as: UTF8.self))
guard plain.records == noteCount + 1, shared.records == noteCount + 1, indexAfter.notes == 0, foundAfter == 0,
    remaining == 0
else {
    FileHandle.standardError.write(Data("bench-scopes: a check failed (see above)\n".utf8))
    exit(1)
}
