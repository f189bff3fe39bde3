import ArgumentParser
import Foundation
import SyncProtocol
import SyncServer

extension Admin {
    struct RemoveAdviser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove-adviser",
            abstract: "End an adviser's membership of a team (they left it).",
            discussion: """
                The adviser's devices can no longer reach the team; on their next sync they drop its records \
                (unsynced changes are kept aside on the device, encrypted). The devices stay enrolled for the \
                adviser's other teams; revoke them with 'admin revoke' if the adviser left altogether.
                Example: sync-server admin remove-adviser --team uu-north lars
                """)

        @ParentCommand var admin: Admin
        @Option(help: "The team to leave.") var team: String
        @Argument(help: "The adviser's name.") var name: String

        func run() async throws {
            let (team, name) = (self.team, self.name)
            try await admin.withStorage { storage in
                try await storage.removeAdviser(named: name, fromTeam: team, at: Date())
            }
            print("\(name) is no longer a member of \(team)")
        }
    }

    struct Partner: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Let two teams share young people's records with each other (with consent).",
            discussion: """
                Advisers can then widen a subject's scope to the partner team once the young person's consent \
                is recorded ('fieldcli subject share', 'fieldcli subject handover'). Works both ways.
                Example: sync-server admin partner --team uu-north --with jobcentre
                """)

        @ParentCommand var admin: Admin
        @Option(help: "One team.") var team: String
        @Option(name: .customLong("with"), help: "The other team.") var partner: String

        func validate() throws {
            guard team != partner else { throw ValidationError("a team is always its own partner") }
        }

        func run() async throws {
            let (team, partner) = (self.team, self.partner)
            try await admin.withStorage { storage in try await storage.addPartner(team: team, with: partner, at: Date())
            }
            print("teams \(team) and \(partner) may now share records")
        }
    }

    struct ExpireAccess: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "expire-access",
            abstract: "End the accesses that came due (a handover's overlap) now.",
            discussion: """
                'sync-server serve' does this at start-up and every ten minutes; this command is for a server \
                that is not running, or to check. '--as-of' ends what is due at another day (YYYY-MM-DD), \
                e.g. to rehearse a handover.
                """)

        @ParentCommand var admin: Admin
        @Option(
            name: .customLong("as-of"),
            help: ArgumentHelp("End what is due on this day (UTC).", valueName: "YYYY-MM-DD"))
        var asOf: String?

        func run() async throws {
            var now = Date()
            if let asOf {
                guard let end = AccessEnd(team: "x", day: asOf) else {
                    throw ValidationError("--as-of must be a day as YYYY-MM-DD")
                }
                now = end.date
            }
            let when = now
            let outcome = try await admin.withStorage { storage in
                try await AccessExpiry(storage: storage).run(now: when)
            }
            print(
                "\(outcome.ended) access\(outcome.ended == 1 ? "" : "es") ended on \(outcome.subjects) subject\(outcome.subjects == 1 ? "" : "s")"
            )
        }
    }

    struct Duplicates: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List young people who have two subjects in one team (created offline by two advisers).",
            discussion: """
                Prints the team and the subject ids of each group, never the reference; an adviser of the team \
                merges them with 'fieldcli subject merge KEEP OTHER'. Exit status 0 either way.
                """)

        @ParentCommand var admin: Admin
        @Flag(help: "Print JSON instead of lines.") var json = false

        func run() async throws {
            let found = try await admin.withStorage { storage in try await DuplicateSubjects.find(in: storage) }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                print(String(decoding: try encoder.encode(found), as: UTF8.self))
                return
            }
            guard !found.groups.isEmpty else {
                print("no duplicate subjects")
                return
            }
            for group in found.groups {
                print(
                    "\(group.team)\t\(group.subjects.count) subjects of one young person: \(group.subjects.joined(separator: " "))"
                )
            }
            print("an adviser of the team merges them: fieldcli subject merge KEEP OTHER")
        }
    }

    struct AccessReportCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "access-report",
            abstract: "Who received a young person's records, and when (from the audit trail).",
            discussion: """
                Answers the young person's question "who has read about me?" (GDPR art. 15): every team, \
                adviser and device that received or wrote the subject's records, and when each access ended.
                Example: sync-server admin access-report --subject ung-0142
                """)

        @ParentCommand var admin: Admin
        @Option(help: "The subject's reference (e.g. ung-0142) or id.") var subject: String
        @Flag(help: "Print JSON instead of lines.") var json = false

        func run() async throws {
            let subject = self.subject
            let report = try await admin.withStorage { storage in
                try await AccessReport.make(subject: subject, storage: storage)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
                return
            }
            guard !report.subjects.isEmpty else { throw ValidationError("no subject with that reference or id") }
            print(
                "\(report.subjects.count) subject record\(report.subjects.count == 1 ? "" : "s"), \(report.notes) note\(report.notes == 1 ? "" : "s")"
            )
            for entry in report.entries {
                let verb =
                    switch entry.action {
                    case "pull": "received"
                    case "push": "wrote"
                    case "remove": "access ended"
                    case "expire": "access ended (due)"
                    case "purge": "purged (retention rule)"
                    default: entry.action
                    }
                let who = [entry.adviser, entry.device.map { "device \($0)" }].compactMap(\.self).joined(
                    separator: ", ")
                print(
                    [
                        entry.at.ISO8601Format(), entry.team ?? "-", verb,
                        "\(entry.records) record\(entry.records == 1 ? "" : "s")", who,
                    ]
                    .filter { !$0.isEmpty }.joined(separator: "\t"))
            }
        }
    }
}
