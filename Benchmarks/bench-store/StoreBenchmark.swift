import FieldsyncTestSupport
import Foundation
import LocalStore

/// One operation measured on the plain and on the encrypted store.
struct PairedSamples {
    var plain = LatencySamples()
    var encrypted = LatencySamples()
}

/// Everything the LocalStore part of the benchmark measured.
struct StoreResults {
    /// Durations of each bulk-insert transaction (`batchSize` notes each, the last one possibly smaller).
    var bulkInsert = PairedSamples()
    var bulkNotes = 0
    var singleInsert = PairedSamples()
    var pointRead = PairedSamples()
    var subjectList = PairedSamples()
    var notesPerSubject = 0
    var search = PairedSamples()
    /// Per query text: its durations and how many notes it returned (at most the search limit).
    var searchByQuery: [String: PairedSamples] = [:]
    var searchHits: [String: Int] = [:]
    var open = PairedSamples()
    var databaseBytes: (plain: Int64, encrypted: Int64) = (0, 0)
}

/// A benchmark run found the two stores answering differently: its figures would mean nothing.
struct BenchMismatch: Error, CustomStringConvertible {
    let description: String
}

/// Loads the same generated notes into a plain and an encrypted `LocalStore` and times the same operations on
/// both. The two stores take turns operation by operation (and which goes first alternates), so a build or a
/// backup running beside the benchmark slows both alike instead of skewing the ratio.
struct StoreBenchmark {
    let options: BenchOptions
    let workDirectory: URL
    let progress: ProgressLine

    private let passphrase = Passphrase("bench-store: correct horse battery staple")
    private var plainOptions: LocalStore.Options {
        LocalStore.Options(encryption: .none, journalMode: options.journalMode)
    }
    private var encryptedOptions: LocalStore.Options {
        LocalStore.Options(encryption: .encrypted(options.kdf), journalMode: options.journalMode)
    }

    func run() throws -> StoreResults {
        var results = StoreResults()
        let plainURL = workDirectory.appendingPathComponent("plain")
        let encryptedURL = workDirectory.appendingPathComponent("encrypted")
        progress.say("creating the stores (the encrypted one runs scrypt twice)")
        let plain = try LocalStore.create(
            at: plainURL, passphrase: nil, adviser: "bench", deviceName: "bench",
            options: plainOptions)
        let encrypted = try LocalStore.create(
            at: encryptedURL, passphrase: passphrase, adviser: "bench",
            deviceName: "bench", options: encryptedOptions)
        var generator = NoteTextGenerator(seed: options.seed, subjects: options.subjects)
        for reference in generator.subjectReferences {
            try plain.addSubject(NewSubject(reference: reference))
            try encrypted.addSubject(NewSubject(reference: reference))
        }

        var ids = try bulkInsert(plain, encrypted, &generator, into: &results)
        try singleInserts(plain, encrypted, &generator, ids: &ids, into: &results)
        // One untimed pass over each kind of read, so neither store pays for a cold statement cache alone.
        try warmUp(plain, encrypted, ids: ids, references: generator.subjectReferences)
        try pointReads(plain, encrypted, ids: ids, into: &results)
        try subjectLists(plain, encrypted, references: generator.subjectReferences, into: &results)
        try searches(plain, encrypted, into: &results)

        plain.close()
        encrypted.close()
        try opens(plainURL: plainURL, encryptedURL: encryptedURL, into: &results)
        results.databaseBytes = (Self.storeBytes(plainURL), Self.storeBytes(encryptedURL))
        return results
    }

    // MARK: Phases

    private func bulkInsert(
        _ plain: LocalStore, _ encrypted: LocalStore, _ generator: inout NoteTextGenerator,
        into results: inout StoreResults
    ) throws -> (plain: [String], encrypted: [String]) {
        var ids: (plain: [String], encrypted: [String]) = ([], [])
        ids.plain.reserveCapacity(options.notes + options.singleInserts)
        ids.encrypted.reserveCapacity(options.notes + options.singleInserts)
        var inserted = 0
        var batchIndex = 0
        while inserted < options.notes {
            let count = min(options.batchSize, options.notes - inserted)
            let batch = (0..<count).map { _ in generator.next() }
            let (plainIDs, encryptedIDs) = try alternating(
                batchIndex, &results.bulkInsert,
                plain: { try plain.addNotes(batch) }, encrypted: { try encrypted.addNotes(batch) })
            ids.plain += plainIDs
            ids.encrypted += encryptedIDs
            inserted += count
            batchIndex += 1
            if batchIndex % 10 == 0 || inserted == options.notes {
                progress.say("bulk insert: \(inserted)/\(options.notes) notes in each store")
            }
        }
        results.bulkNotes = inserted
        return ids
    }

    private func singleInserts(
        _ plain: LocalStore, _ encrypted: LocalStore, _ generator: inout NoteTextGenerator,
        ids: inout (plain: [String], encrypted: [String]), into results: inout StoreResults
    ) throws {
        progress.say("single inserts: \(options.singleInserts) one-note transactions in each store")
        for index in 0..<options.singleInserts {
            let note = generator.next()
            let (plainNote, encryptedNote) = try alternating(
                index, &results.singleInsert,
                plain: { try plain.addNote(note) }, encrypted: { try encrypted.addNote(note) })
            ids.plain.append(plainNote.id)
            ids.encrypted.append(encryptedNote.id)
        }
    }

    private func warmUp(
        _ plain: LocalStore, _ encrypted: LocalStore, ids: (plain: [String], encrypted: [String]),
        references: [String]
    ) throws {
        for store in [plain, encrypted] {
            let storeIDs = store === plain ? ids.plain : ids.encrypted
            for index in stride(from: 0, to: storeIDs.count, by: max(1, storeIDs.count / 100)) {
                _ = try store.note(id: storeIDs[index])
            }
            _ = try store.notes(NoteQuery(subjectReference: references[0]))
            for query in NoteTextGenerator.searchQueries { _ = try store.search(query) }
        }
    }

    private func pointReads(
        _ plain: LocalStore, _ encrypted: LocalStore, ids: (plain: [String], encrypted: [String]),
        into results: inout StoreResults
    ) throws {
        progress.say("point reads: \(options.pointReads) random ids in each store")
        var random = SeededGenerator(seed: options.seed ^ 0x9EAD)
        for index in 0..<options.pointReads {
            // The same position in both id lists is the same generated note.
            let position = random.below(ids.plain.count)
            let (plainNote, encryptedNote) = try alternating(
                index, &results.pointRead,
                plain: { try plain.note(id: ids.plain[position]) },
                encrypted: { try encrypted.note(id: ids.encrypted[position]) })
            guard plainNote.body == encryptedNote.body, plainNote.tags == encryptedNote.tags else {
                throw BenchMismatch(description: "note #\(position) reads differently from the two stores")
            }
        }
    }

    private func subjectLists(
        _ plain: LocalStore, _ encrypted: LocalStore, references: [String], into results: inout StoreResults
    ) throws {
        progress.say("subject lists: \(options.subjectLists) listings of one subject in each store")
        var random = SeededGenerator(seed: options.seed ^ 0x1157)
        for index in 0..<options.subjectLists {
            let query = NoteQuery(subjectReference: references[random.below(references.count)])
            let (plainNotes, encryptedNotes) = try alternating(
                index, &results.subjectList,
                plain: { try plain.notes(query) }, encrypted: { try encrypted.notes(query) })
            // Notes at the same minute are ordered by their random ids, which differ between the stores.
            guard plainNotes.count == encryptedNotes.count,
                Set(plainNotes.map(\.body)) == Set(encryptedNotes.map(\.body))
            else {
                throw BenchMismatch(description: "listing \(query.subjectReference ?? "") differs between the stores")
            }
            results.notesPerSubject = max(results.notesPerSubject, plainNotes.count)
        }
    }

    private func searches(_ plain: LocalStore, _ encrypted: LocalStore, into results: inout StoreResults) throws {
        progress.say("full-text search: \(options.searches) queries in each store")
        let queries = NoteTextGenerator.searchQueries
        for index in 0..<options.searches {
            let query = queries[index % queries.count]
            var samples = PairedSamples()
            let (plainHits, encryptedHits) = try alternating(
                index / queries.count, &samples,
                plain: { try plain.search(query) }, encrypted: { try encrypted.search(query) })
            guard Set(plainHits.map(\.note.body)) == Set(encryptedHits.map(\.note.body)) else {
                throw BenchMismatch(description: "search '\(query)' returns different notes from the two stores")
            }
            results.searchHits[query] = plainHits.count
            results.search.plain.append(seconds: samples.plain.total)
            results.search.encrypted.append(seconds: samples.encrypted.total)
            results.searchByQuery[query, default: PairedSamples()].plain.append(seconds: samples.plain.total)
            results.searchByQuery[query, default: PairedSamples()].encrypted.append(seconds: samples.encrypted.total)
        }
    }

    private func opens(plainURL: URL, encryptedURL: URL, into results: inout StoreResults) throws {
        progress.say("unlock: \(options.unlocks) opens of each store")
        for index in 0..<options.unlocks {
            // Open and close inside the timed block would count the checkpoint on close; time the open only.
            var stores: [LocalStore] = []
            defer { stores.forEach { $0.close() } }
            let _: (Void, Void) = try alternating(
                index, &results.open,
                plain: { stores.append(try LocalStore.open(at: plainURL, passphrase: nil, options: plainOptions)) },
                encrypted: {
                    stores.append(
                        try LocalStore.open(
                            at: encryptedURL, passphrase: passphrase,
                            options: encryptedOptions))
                })
        }
    }

    // MARK: Helpers

    /// Times `plain` and `encrypted` once each; even turns run the plain store first, odd turns the encrypted one.
    private func alternating<T>(
        _ turn: Int, _ samples: inout PairedSamples, plain: () throws -> T, encrypted: () throws -> T
    ) throws -> (T, T) {
        if turn % 2 == 0 {
            let (plainResult, plainTime) = try measure(plain)
            let (encryptedResult, encryptedTime) = try measure(encrypted)
            samples.plain.append(plainTime)
            samples.encrypted.append(encryptedTime)
            return (plainResult, encryptedResult)
        }
        let (encryptedResult, encryptedTime) = try measure(encrypted)
        let (plainResult, plainTime) = try measure(plain)
        samples.plain.append(plainTime)
        samples.encrypted.append(encryptedTime)
        return (plainResult, encryptedResult)
    }

    /// Bytes of the database file and its WAL and journal, as the store leaves them after closing.
    private static func storeBytes(_ directory: URL) -> Int64 {
        let database = StoreLocation(directory: directory).databaseURL.path
        return [database, database + "-wal", database + "-journal"].reduce(into: Int64(0)) { sum, path in
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
            sum += size ?? 0
        }
    }
}
