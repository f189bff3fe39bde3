import ArgumentParser
import Foundation
import LocalStore

extension SubjectCommand {
    struct Handover: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "handover",
            abstract: "Hand a young person's course to the next responsible adviser, with a handover note.",
            usage: """
                fieldcli subject handover ung-0142 --to lars --note "Wants to try the kitchen workshop"
                fieldcli subject handover ung-0142 --to jonas --team jobcentre --note "Ready for a placement" \\
                    --consent "the handover note and the plan" --keep-access 30d
                """,
            discussion: """
                Writes a handover note (kind handover: the only history passed on) and makes the adviser \
                responsible; they see the subject at once in 'fieldcli followups' and 'fieldcli subject list \
                --mine'. To another team (--team), the young person's consent is required: the subject is shared \
                with that team, the handover note is readable by both, and your team's access ends — at once \
                (after the next sync the subject and its notes leave your team's devices), or after an overlap \
                given with --keep-access (days or weeks, e.g. 30d, 4w). A handover to another team asks first on a \
                terminal; --yes skips the question.
                """
        )

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The subject's reference, or its id or a unique id prefix.") var reference: String
        @Option(help: ArgumentHelp("The adviser who takes over.", valueName: "adviser")) var to: String?
        @Option(help: ArgumentHelp("The receiving team, when it is not yours.", valueName: "team")) var team: String?
        @Option(
            help: ArgumentHelp(
                "The handover note: what the next adviser needs to know (required).", valueName: "text"))
        var note: String?
        @Option(
            help: ArgumentHelp(
                "To another team: what the young person agreed to share (required there).", valueName: "text"))
        var consent: String?
        @Option(
            help: ArgumentHelp(
                "To another team: how long your team keeps reading, e.g. 30d or 4w (default: access ends now).",
                valueName: "duration"))
        var keepAccess: String?
        @Flag(name: [.short, .long], help: "Hand over to another team without asking.") var yes = false

        func run() throws {
            guard let to, !to.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw CLIError(Text.nameAdviser, status: .usage)
            }
            guard let note, !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw CLIError(Text.handoverNeedsNote, status: .usage)
            }
            let now = Date()
            let keepUntil = try keepAccess.map { try Self.parseKeepAccess($0, now: now) }
            let key = try storeOptions.unlock()
            let (subject, ownTeam) = try storeOptions.withStore(key) { store in
                // Naming a team needs the store's own (from its enrolment) to tell a handover within the team.
                (try store.subject(reference: reference), team == nil ? nil : try store.ownTeam())
            }
            let acrossTeams = team != nil && team != ownTeam
            if acrossTeams {
                // The store says what is missing (consent, enrolment) before anyone is asked.
                guard consent != nil else {
                    throw CLIError(Text.handoverNeedsConsent, status: .usage)
                }
                if !yes { try confirm(subject: subject, team: team ?? "", ownTeam: ownTeam, keepUntil: keepUntil) }
            }
            let result = try storeOptions.withStore(key) { store in
                try store.handOver(
                    SubjectHandover(
                        subjectReference: subject.id, toAdviser: to, team: team, note: note, consent: consent,
                        keepAccessUntil: keepUntil),
                    now: now)
            }
            let name = Output.clean(result.subject.reference)
            guard result.acrossTeams, let team else {
                print(Text.handedOver(name, to: to, note: String(result.noteID.prefix(8))))
                return
            }
            let access =
                result.accessEnd.flatMap(AccessEndText.init).map {
                    Text.keepsReading(until: $0.lastDay, accessEnds: $0.day)
                } ?? Text.accessEndsNextSync
            print(
                Text.handedOver(
                    name, to: to, team: team, note: String(result.noteID.prefix(8)), access: access))
        }

        /// Asks before the course leaves the team, saying what happens to this team's access.
        private func confirm(subject: Subject, team: String, ownTeam: String?, keepUntil: Date?) throws {
            guard let terminal = Terminal.open() else {
                throw CLIError(Text.handoverNeedsYes, status: .usage)
            }
            defer { terminal.close() }
            let access = keepUntil.map { Text.keepsReading(until: DateParsing.displayDay($0)) } ?? Text.leavesAfterSync
            print(
                Text.handoverQuestion(
                    Output.clean(subject.reference), name: Output.clean(subject.displayName), to: to ?? "", team: team,
                    access: access))
            guard terminal.confirm(Text.handOverPrompt) else {
                throw CLIError(Text.notHandedOver, status: .usage)
            }
        }

        /// `30d`, `+30d`, `4w`: that long from `now` (days in UTC, as access ends are).
        static func parseKeepAccess(_ text: String, now: Date) throws -> Date {
            var utc = Calendar(identifier: .gregorian)
            utc.timeZone = TimeZone(identifier: "UTC")!
            let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
            let offset = trimmed.hasPrefix("+") ? trimmed : "+" + trimmed
            guard offset.hasSuffix("d") || offset.hasSuffix("w"),
                let until = DateParsing.parse(offset, now: now, calendar: utc), until > now
            else {
                throw CLIError(Text.keepAccessFormat, status: .usage)
            }
            return until
        }
    }
}

/// An access end (`TEAM@YYYY-MM-DD`) as people read it: the day access ends and the last day with access.
private struct AccessEndText {
    var day: String
    var lastDay: String

    init?(_ tag: String) {
        guard let at = tag.lastIndex(of: "@") else { return nil }
        day = String(tag[tag.index(after: at)...])
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = utc.timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        guard let date = formatter.date(from: day), let before = utc.date(byAdding: .day, value: -1, to: date)
        else { return nil }
        lastDay = formatter.string(from: before)
    }
}
