import ArgumentParser
import Foundation
import SyncProtocol
import SyncServer

extension Admin {
    struct RetentionCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "retention",
            abstract: "Purge a team's young people whose course has been closed longer than a period.",
            discussion: """
                A course is closed while its subject's status is one of: \
                \(Schemas.closingStatuses.sorted().joined(separator: ", ")); it counts from when the server \
                stored it closed. The subject, the duplicates folded into it and every note about them are \
                purged with the protocol's purge, so every device erases them at its next sync; each purge is \
                audited with the rule. A subject another team also reads goes only when that team's saved rule \
                lets it go too. Periods: 5y (years), 18m (months), 90d (days).
                --dry-run lists what would go (counts and record ids) and changes nothing. --save stores the \
                rule for the team instead of running it: 'serve' then applies it daily. --forget removes it, \
                --rules lists the saved rules. Without --closed-after, --team runs the team's saved rule.
                Examples:
                  sync-server admin retention --team uu-north --closed-after 5y --dry-run
                  sync-server admin retention --team uu-north --closed-after 5y --save
                """)

        @ParentCommand var admin: Admin
        @Option(help: "The team whose rule it is.") var team: String?
        @Option(
            name: .customLong("closed-after"),
            help: ArgumentHelp("How long a closed course stays: 5y, 18m or 90d.", valueName: "period"))
        var closedAfter: String?
        @Option(
            name: .customLong("as-of"),
            help: ArgumentHelp("Apply the rule as on this day (UTC) instead of now.", valueName: "YYYY-MM-DD"))
        var asOf: String?
        @Flag(name: .customLong("dry-run"), help: "List what would go; change nothing.") var dryRun = false
        @Flag(help: "Store the rule for the team ('serve' applies it daily) instead of running it.") var save = false
        @Flag(help: "Remove the team's stored rule.") var forget = false
        @Flag(help: "List the stored rules.") var rules = false
        @Flag(help: "Print JSON instead of lines.") var json = false

        func validate() throws {
            if rules {
                guard team == nil, closedAfter == nil, !save, !forget, !dryRun, asOf == nil else {
                    throw ValidationError("--rules takes no other option")
                }
                return
            }
            guard team != nil else { throw ValidationError("--team is required") }
            guard [save, forget, dryRun].count(where: \.self) <= 1 else {
                throw ValidationError("--save, --forget and --dry-run exclude each other")
            }
            if save, closedAfter == nil { throw ValidationError("--save needs --closed-after") }
            if forget, closedAfter != nil || asOf != nil { throw ValidationError("--forget takes only --team") }
        }

        func run() async throws {
            if rules { return try await listRules() }
            let team = self.team!
            // Parsed here, not by ArgumentParser, so a bad period is refused with one line.
            let period = try closedAfter.map { text throws(RetentionError) in try RetentionPeriod(parsing: text) }
            if save || forget {
                try await admin.withStorage { storage in
                    try await storage.setRetentionRule(team: team, closedAfter: period, at: Date())
                }
                print(
                    period.map { "team \(team): courses closed longer than \($0) are purged daily by 'serve'" }
                        ?? "team \(team): no retention rule")
                return
            }
            var when = Date()
            if let asOf {
                guard let day = AccessEnd(team: "x", day: asOf) else {
                    throw ValidationError("--as-of must be a day as YYYY-MM-DD")
                }
                when = day.date
            }
            let (asOfDate, dryRun) = (when, self.dryRun)
            let outcome = try await admin.withStorage { storage in
                let rule: RetentionPeriod
                if let period {
                    rule = period
                } else if let saved = try await storage.retentionRules().first(where: { $0.team == team }) {
                    rule = saved.closedAfter
                } else {
                    throw ValidationError("team \(team) has no saved retention rule: give --closed-after")
                }
                return try await Retention(storage: storage)
                    .run(team: team, closedAfter: rule, asOf: asOfDate, dryRun: dryRun)
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(outcome), as: UTF8.self))
                return
            }
            print(Self.lines(for: outcome).joined(separator: "\n"))
        }

        /// The report: counts, then record ids only (never a reference or a name).
        static func lines(for outcome: Retention.Outcome) -> [String] {
            let plan = outcome.plan
            var lines = [
                "team \(plan.team): closed-after \(plan.closedAfter), as of \(plan.asOf.ISO8601Format()): "
                    + "courses closed before \(plan.closedBefore.ISO8601Format())"
            ]
            let counts = "\(count(plan.subjectCount, "subject")) and \(count(plan.noteCount, "note"))"
            if outcome.dryRun {
                lines.append("dry run: would purge \(counts); nothing changed")
                for purge in plan.purges {
                    for id in [purge.subject] + purge.folded { lines.append("subjects/\(id)") }
                    for id in purge.notes { lines.append("notes/\(id)") }
                }
            } else {
                let subjects = outcome.purged.count { $0.hasPrefix("\(ScopeFields.subjects)/") }
                lines.append(
                    "purged \(count(subjects, "subject")) and \(count(outcome.purged.count - subjects, "note"))")
                lines += outcome.purged
                for id in outcome.changedMeanwhile {
                    lines.append("subjects/\(id) changed while planning: left for the next run")
                }
            }
            if !plan.keptShared.isEmpty {
                lines.append(
                    "kept \(count(plan.keptShared.count, "subject")) another team also reads and still keeps: "
                        + plan.keptShared.map { "subjects/\($0)" }.joined(separator: " "))
            }
            return lines
        }

        static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

        private func listRules() async throws {
            let rules = try await admin.withStorage { storage in try await storage.retentionRules() }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                encoder.dateEncodingStrategy = .iso8601
                print(String(decoding: try encoder.encode(rules), as: UTF8.self))
                return
            }
            guard !rules.isEmpty else { return print("no retention rules") }
            for rule in rules {
                print("\(rule.team)\tclosed-after \(rule.closedAfter)\tsaved \(rule.savedAt.ISO8601Format())")
            }
        }
    }
}
