import FieldsyncTestSupport
import Foundation
import LocalStore

/// The SQL scripts of the SQLCipher reference: the LocalStore schema (with FTS4, as Debian's SQLCipher 3.4.1 is
/// built on SQLite 3.15.2 without FTS5) and the same generated notes, written as plain SQL that any SQLite shell
/// can run. Each line of a workload script is one timed unit for the shell's `.timer`.
struct ReferenceWorkload {
    /// The scripts and what one line of each holds.
    struct Scripts {
        var schema: URL
        var bulk: URL
        var bulkLines = 0
        var bulkNotes = 0
        var singles: URL
        var singleLines = 0
        var singleNotes = 0
        var reads: URL
        var readLines = 0
        var readCount = 0
        var searches: URL
        var searchLines = 0
        var searchCount = 0
    }

    static let singlesPerLine = 50
    static let readsPerLine = 250
    static let searchesPerLine = 10

    let options: BenchOptions
    let directory: URL

    /// Writes every script; returns where they are. Memory stays at one line plus the note ids.
    func write() throws -> Scripts {
        var generator = NoteTextGenerator(seed: options.seed, subjects: options.subjects)
        var idRandom = SeededGenerator(seed: options.seed ^ 0x1D5)
        var scripts = Scripts(
            schema: directory.appendingPathComponent("schema.sql"),
            bulk: directory.appendingPathComponent("bulk.sql"),
            singles: directory.appendingPathComponent("singles.sql"),
            reads: directory.appendingPathComponent("reads.sql"),
            searches: directory.appendingPathComponent("searches.sql"))
        try Self.schema(references: generator.subjectReferences).write(
            to: scripts.schema, atomically: false,
            encoding: .utf8)
        var ids: [String] = []
        ids.reserveCapacity(options.notes + options.singleInserts)
        func nextNote(rowid: Int) -> String {
            let id = String(format: "%016llx%016llx", idRandom.next(), idRandom.next())
            ids.append(id)
            return Self.insertStatements(generator.next(), rowid: rowid, id: id)
        }

        let bulk = try LineWriter(scripts.bulk)
        var rowid = 0
        while rowid < options.notes {
            var line = "BEGIN;"
            for _ in 0..<min(options.batchSize, options.notes - rowid) {
                rowid += 1
                line += nextNote(rowid: rowid)
            }
            try bulk.write(line + "COMMIT;")
            scripts.bulkLines += 1
        }
        try bulk.close()
        scripts.bulkNotes = rowid

        let singles = try LineWriter(scripts.singles)
        var written = 0
        while written < options.singleInserts {
            var line = ""
            for _ in 0..<min(Self.singlesPerLine, options.singleInserts - written) {
                rowid += 1
                written += 1
                // Each note its own transaction, as LocalStore.addNote does.
                line += "BEGIN;" + nextNote(rowid: rowid) + "COMMIT;"
            }
            try singles.write(line)
            scripts.singleLines += 1
        }
        try singles.close()
        scripts.singleNotes = written

        var random = SeededGenerator(seed: options.seed ^ 0x9EAD)
        let reads = try LineWriter(scripts.reads)
        var done = 0
        while done < options.pointReads {
            var line = ""
            for _ in 0..<min(Self.readsPerLine, options.pointReads - done) {
                line +=
                    "SELECT note.*, subject.reference FROM note LEFT JOIN subject ON subject.id = note.subjectID "
                    + "WHERE note.id = '\(ids[random.below(ids.count)])';"
                done += 1
            }
            try reads.write(line)
            scripts.readLines += 1
        }
        try reads.close()
        scripts.readCount = done

        let searches = try LineWriter(scripts.searches)
        done = 0
        while done < options.searches {
            var line = ""
            for _ in 0..<min(Self.searchesPerLine, options.searches - done) {
                let query = NoteTextGenerator.searchQueries[done % NoteTextGenerator.searchQueries.count]
                // FTS4 has no bm25(): the 50 most recent matches, which reads every matching note row.
                line +=
                    "SELECT note.*, subject.reference FROM note_fts JOIN note ON note.rowid = note_fts.docid "
                    + "LEFT JOIN subject ON subject.id = note.subjectID WHERE note_fts MATCH "
                    + Self.quoted(Self.fts4Expression(query)) + " ORDER BY note.occurredAt DESC LIMIT 50;"
                done += 1
            }
            try searches.write(line)
            scripts.searchLines += 1
        }
        try searches.close()
        scripts.searchCount = done
        return scripts
    }

    /// LocalStore's tables and indexes, with FTS4 in place of FTS5.
    static func schema(references: [String]) -> String {
        var sql = """
            CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL) WITHOUT ROWID;
            CREATE TABLE record (collection TEXT NOT NULL, id TEXT NOT NULL, state BLOB NOT NULL,
                PRIMARY KEY (collection, id)) WITHOUT ROWID;
            CREATE TABLE subject (id TEXT PRIMARY KEY NOT NULL, reference TEXT NOT NULL, displayName TEXT NOT NULL,
                status TEXT NOT NULL, responsibleAdviser TEXT NOT NULL, consentRecorded INTEGER NOT NULL,
                consentAt INTEGER, goals TEXT NOT NULL, nextStep TEXT NOT NULL, hasConflict INTEGER NOT NULL,
                updatedAt INTEGER NOT NULL);
            CREATE INDEX subject_reference ON subject(reference);
            CREATE TABLE note (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, subjectID TEXT NOT NULL,
                kind TEXT NOT NULL, occurredAt INTEGER NOT NULL, place TEXT NOT NULL, body TEXT NOT NULL,
                tags TEXT NOT NULL, followUp INTEGER, author TEXT NOT NULL, device TEXT NOT NULL,
                hasConflict INTEGER NOT NULL, updatedAt INTEGER NOT NULL);
            CREATE INDEX note_subject ON note(subjectID, occurredAt);
            CREATE INDEX note_occurred ON note(occurredAt);
            CREATE INDEX note_followup ON note(followUp) WHERE followUp IS NOT NULL;
            CREATE VIRTUAL TABLE note_fts USING fts4(body, tags, place, subject, tokenize=unicode61);
            CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, collection TEXT NOT NULL,
                id TEXT NOT NULL, UNIQUE (collection, id));

            """
        for reference in references {
            sql +=
                "INSERT INTO subject VALUES ('s-\(reference)', '\(reference)', '\(reference)', "
                + "'not-education-ready', 'bench', 0, NULL, '', '', 0, 1736121600000);\n"
        }
        return sql
    }

    /// The writes LocalStore makes for one note: its causal record, its query row, its FTS row, its outbox entry.
    static func insertStatements(_ note: NewNote, rowid: Int, id: String) -> String {
        let occurred = Int64(note.occurredAt.timeIntervalSince1970 * 1000)
        let followUp = note.followUp.map { String(Int64($0.timeIntervalSince1970 * 1000)) } ?? "NULL"
        let tags = "[" + note.tags.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        let subjectID = "s-\(note.subjectReference)"
        return "INSERT INTO note VALUES (\(rowid), '\(id)', '\(subjectID)', '\(note.kind.rawValue)', \(occurred), "
            + "\(quoted(note.place)), \(quoted(note.body)), '\(tags)', \(followUp), 'bench', 'bench', 0, \(occurred));"
            + "INSERT INTO note_fts (docid, body, tags, place, subject) "
            + "SELECT rowid, body, tags, place, '\(note.subjectReference)' FROM note WHERE rowid = \(rowid);"
            // A record state of about the size of LocalStore's JSON: the fields again, with a version vector.
            + "INSERT INTO record SELECT 'notes', id, CAST('{\"collection\":\"notes\",\"id\":\"' || id || "
            + "'\",\"fields\":{\"body\":\"' || body || '\",\"tags\":' || tags || ',\"kind\":\"' || kind || "
            + "'\",\"place\":\"' || replace(place, '\"', '') || '\",\"occurredAt\":' || occurredAt || "
            + "'},\"vv\":{\"bench\":' || rowid || '}}' AS BLOB) FROM note WHERE rowid = \(rowid);"
            + "INSERT OR REPLACE INTO outbox (collection, id) VALUES ('notes', '\(id)');"
    }

    /// The same words as LocalStore's search, as an FTS4 expression: every word a prefix term, all required.
    static func fts4Expression(_ query: String) -> String {
        query.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { "\($0)*" }.joined(separator: " ")
    }

    static func quoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }
}

/// Writes a script line by line through a buffer, so a 100,000-note script never sits in memory whole.
final class LineWriter {
    private let handle: FileHandle
    private var buffer = Data()

    init(_ url: URL) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ReferenceFailure("cannot create \(url.path)")
        }
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ line: String) throws {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func close() throws {
        try flush()
        try handle.close()
    }

    private func flush() throws {
        try handle.write(contentsOf: buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// The reference measurement could not be made; its message says why.
struct ReferenceFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
