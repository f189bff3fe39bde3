import Foundation

/// The readable summary of one young person's course, which they are entitled to see.
public struct SubjectExport: Codable, Equatable, Sendable {
    public var subject: Subject
    /// Other subjects with the same reference, not merged yet (created on different devices): their notes are in
    /// `notes` too, and their own values are part of what was written about the young person.
    public var duplicates: [Subject] = []
    /// The notes, oldest first, as a course is read.
    public var notes: [Note]
    public var exportedAt: Date

    /// A Markdown document: the course, then every note in time order.
    public func markdown(timeZone: TimeZone = .current) -> String {
        let day = DateFormatter()
        day.locale = Locale(identifier: "en_US_POSIX")
        day.timeZone = timeZone
        day.dateFormat = "yyyy-MM-dd"
        let time = DateFormatter()
        time.locale = Locale(identifier: "en_US_POSIX")
        time.timeZone = timeZone
        time.dateFormat = "yyyy-MM-dd HH:mm"
        var lines: [String] = []
        lines.append("# \(subject.displayName) (\(subject.reference))")
        lines.append("")
        lines.append("- Status: \(subject.status.rawValue)")
        lines.append("- Responsible adviser: \(subject.responsibleAdviser)")
        lines.append("- Consent recorded: \(subject.consentRecorded ? "yes" : "no")")
        if !subject.goals.isEmpty { lines.append("- Goals: \(subject.goals)") }
        if !subject.nextStep.isEmpty { lines.append("- Next step: \(subject.nextStep)") }
        for duplicate in duplicates {
            lines.append("- Also recorded separately (id \(duplicate.id.prefix(8)), to be merged):")
            lines.append("  - Status: \(duplicate.status.rawValue)")
            lines.append("  - Responsible adviser: \(duplicate.responsibleAdviser)")
            lines.append("  - Consent recorded: \(duplicate.consentRecorded ? "yes" : "no")")
            if !duplicate.goals.isEmpty { lines.append("  - Goals: \(duplicate.goals)") }
            if !duplicate.nextStep.isEmpty { lines.append("  - Next step: \(duplicate.nextStep)") }
        }
        lines.append("- Notes: \(notes.count), exported \(time.string(from: exportedAt))")
        for note in notes {
            lines.append("")
            lines.append("## \(time.string(from: note.occurredAt)) — \(note.kind.rawValue)")
            lines.append("")
            var facts = ["Written by \(note.author)"]
            if !note.place.isEmpty { facts.append("place: \(note.place)") }
            if !note.tags.isEmpty { facts.append("tags: \(note.tags.joined(separator: ", "))") }
            if let followUp = note.followUp { facts.append("follow-up: \(day.string(from: followUp))") }
            lines.append("*" + facts.joined(separator: "; ") + "*")
            lines.append("")
            lines.append(note.body)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

extension LocalStore {
    /// Everything the store holds about one subject, for the young person to read: with duplicates of it not yet
    /// merged, all of them and all their notes; notes about a subject merged into it included.
    public func export(subjectReference: String) throws -> SubjectExport {
        let subjects = try self.subjects(reference: subjectReference)
        let notes = try self.notes(NoteQuery(subjectReference: subjectReference)).reversed()
        return SubjectExport(
            subject: subjects[0], duplicates: Array(subjects.dropFirst()), notes: Array(notes), exportedAt: Date())
    }
}
