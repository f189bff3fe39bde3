import Foundation
import LocalStore

extension SubjectExport {
    /// The export as the young person reads it, in Markdown: their course, then every note in time order, in plain
    /// words of `language` (kinds and statuses named, dates written out, no internal codes).
    func markdown(in language: Language, calendar: Calendar = .current) -> String {
        typealias Words = Text.Export
        var lines: [String] = []
        lines.append("# \(subject.displayName) (\(subject.reference))")
        lines.append("")
        lines.append(Words.intro(language))
        lines.append("")
        lines += courseLines(subject, indent: "", language: language)
        for duplicate in duplicates {
            lines.append("- \(Words.duplicate(String(duplicate.id.prefix(8)), language)):")
            lines += courseLines(duplicate, indent: "  ", language: language)
        }
        let exported = Text.writtenTime(exportedAt, in: language, calendar: calendar)
        lines.append("- " + Words.summary(notes: notes.count, exported: exported, language))
        for note in notes {
            lines.append("")
            let kind = Text.plainKind(recorded: recordedKind(of: note), in: language)
            lines.append("## \(Text.writtenTime(note.occurredAt, in: language, calendar: calendar)) — \(kind)")
            lines.append("")
            var facts = [Words.writtenBy(note.author, language)]
            if !note.place.isEmpty { facts.append(Words.place(note.place, language)) }
            if !note.tags.isEmpty {
                facts.append(
                    Words.tags(
                        note.tags.map { Self.plainTag($0, in: language) }.joined(separator: ", "),
                        language))
            }
            if let followUp = note.followUp {
                facts.append(Words.followUp(Text.writtenDay(followUp, in: language, calendar: calendar), language))
            }
            lines.append("*" + facts.joined(separator: "; ") + "*")
            lines.append("")
            lines.append(note.body)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// What was recorded about the course itself, one line a fact.
    private func courseLines(_ subject: Subject, indent: String, language: Language) -> [String] {
        typealias Words = Text.Export
        var lines = [
            "\(indent)- \(Words.status(language)): "
                + Text.plainStatus(recorded: recordedStatus(of: subject), in: language),
            "\(indent)- \(Words.adviser(language)): \(subject.responsibleAdviser)",
            "\(indent)- \(Words.consent(subject.consentRecorded, language))",
        ]
        if !subject.goals.isEmpty { lines.append("\(indent)- \(Words.goals(language)): \(subject.goals)") }
        if !subject.nextStep.isEmpty { lines.append("\(indent)- \(Words.nextStep(language)): \(subject.nextStep)") }
        return lines
    }

    /// A tag that is a status or kind code (`education-ready`) in plain words, in lower case; any other tag as
    /// the adviser wrote it.
    static func plainTag(_ tag: String, in language: Language) -> String {
        let plain =
            SubjectStatus(rawValue: tag).map { Text.plain($0, in: language) }
            ?? NoteKind(rawValue: tag).map { Text.plain($0, in: language) }
        guard let plain, let first = plain.first else { return tag }
        return first.lowercased() + plain.dropFirst()
    }
}
