import Foundation
import GRDB

extension LocalStore {
    /// Full-text search over note text, tags, place and the subject's reference and name, newest notes
    /// first.
    ///
    /// Words match by prefix (`hous` finds `housing`); a double-quoted phrase matches exactly. The query
    /// is never passed to FTS5's syntax as-is, so punctuation in a search cannot cause an error.
    /// Hits come newest first rather than by relevance: walking the index backwards stops after `limit` hits,
    /// where ranking would score every match (a common word matches thousands of notes), and an adviser
    /// looking something up usually wants the latest notes.
    public func search(_ query: String, limit: Int = 50) throws -> [SearchHit] {
        let match = Self.ftsMatchExpression(query)
        guard !match.isEmpty else { return [] }
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT note.*, COALESCE(fold.keptID, note.subjectID) AS keptSubjectID,
                        subject.reference AS subjectReference, hit.excerpt
                    FROM (
                        SELECT rowid, snippet(note_fts, -1, '[', ']', '…', 10) AS excerpt
                        FROM note_fts WHERE note_fts MATCH ? ORDER BY rowid DESC LIMIT ?
                    ) AS hit
                    JOIN note ON note.rowid = hit.rowid
                    LEFT JOIN subject_fold AS fold ON fold.id = note.subjectID
                    LEFT JOIN subject ON subject.id = COALESCE(fold.keptID, note.subjectID)
                    ORDER BY hit.rowid DESC
                    """,
                arguments: [match, max(0, limit)]
            ).map { row in SearchHit(note: try Note(row: row), excerpt: row["excerpt"]) }
        }
    }

    /// Turns what a person typed into a safe FTS5 expression: quoted phrases stay phrases, other words become
    /// quoted prefix terms, all of which must match.
    static func ftsMatchExpression(_ query: String) -> String {
        var terms: [String] = []
        var inPhrase = false
        for (index, part) in query.split(separator: "\"", omittingEmptySubsequences: false).enumerated() {
            inPhrase = index % 2 == 1
            let text = String(part)
            if inPhrase {
                let words = tokens(text)
                if !words.isEmpty { terms.append("\"" + words.joined(separator: " ") + "\"") }
            } else {
                terms.append(contentsOf: tokens(text).map { "\"\($0)\"*" })
            }
        }
        return terms.joined(separator: " AND ")
    }

    private static func tokens(_ text: String) -> [String] {
        text.split(whereSeparator: { !$0.isLetter && !$0.isNumber && $0 != "-" && $0 != "_" })
            .map { $0.replacingOccurrences(of: "\"", with: "") }
            .filter { !$0.isEmpty }
    }

    /// Open follow-ups due up to the end of the day `withinDays` days from `now` (or all open ones, `all`),
    /// earliest first. A follow-up stays open until someone marks it done (``markFollowUpDone(noteID:)``, or a
    /// note added with `closes`); later notes about the subject do not close it.
    public func followUps(
        asOf now: Date = Date(), withinDays: Int = 0, all: Bool = false, calendar: Calendar = .current
    ) throws -> [FollowUp] {
        let startOfToday = calendar.startOfDay(for: now)
        let horizon =
            all
            ? Date.distantFuture
            : calendar.date(byAdding: .day, value: max(0, withinDays) + 1, to: startOfToday) ?? now
        return try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    \(Self.noteSelect)
                    WHERE note.followUp IS NOT NULL AND note.followUp < ?
                      AND (note.followUpDone IS NULL OR note.followUpDone != note.followUp)
                    ORDER BY note.followUp, note.id
                    """,
                arguments: [Int64(min(horizon.timeIntervalSince1970, 9.0e15 / 1000) * 1000)]
            ).map { row in
                let note = try Note(row: row)
                let due = note.followUp ?? now
                let overdue =
                    calendar.dateComponents(
                        [.day], from: calendar.startOfDay(for: due), to: startOfToday
                    ).day ?? 0
                return FollowUp(note: note, due: due, daysOverdue: max(0, overdue))
            }
        }
    }

    /// Marks a note's follow-up done: a write that syncs like any edit. A colleague's concurrent new date for the
    /// same note wins over this (the follow-up is then open at the new date).
    ///
    /// - Throws: `LocalStoreError.notFound`, `.invalidInput` when the note has no follow-up.
    @discardableResult
    public func markFollowUpDone(noteID: String) throws -> Note {
        try write { db in
            let record = try liveNoteRecord(db, prefix: noteID)
            let fullID = record.id
            guard let due = record.timestamp("followUp") else {
                throw LocalStoreError.invalidInput("note \(fullID.prefix(8)) has no follow-up")
            }
            if record.timestamp("followUpDone") != due {
                try saveRecord(db, record.updating(["followUpDone": .timestamp(due)], by: replicaID), local: true)
            }
            return try fetchNote(db, id: fullID)
        }
    }
}
