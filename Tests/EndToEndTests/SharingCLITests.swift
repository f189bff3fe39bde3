import Foundation
import Testing

/// The local side of sharing and handover, through the real `fieldcli`: what needs consent or an enrolment is
/// refused in one line, and a handover within the team moves responsibility at once.
@Suite("fieldcli sharing and handover", .serialized)
struct SharingCLITests {
    let home: TemporaryDirectory
    let cli: CommandRunner

    init() throws {
        home = try TemporaryDirectory("sharing")
        cli = CommandRunner(environment: [
            "FIELDCLI_HOME": home.url.appendingPathComponent("store").path,
            "FIELDCLI_PASSPHRASE": "a long field passphrase",
        ])
    }

    /// Runs fieldcli and expects `status`.
    @discardableResult
    func fieldcli(
        _ arguments: String..., expect status: Int32 = 0, sourceLocation: SourceLocation = #_sourceLocation
    )
        throws -> CommandResult
    {
        let result = try cli.run("fieldcli", arguments)
        #expect(
            result.status == status, "fieldcli \(arguments.joined(separator: " ")): \(result.stderr)",
            sourceLocation: sourceLocation)
        return result
    }

    /// Expects a refusal: exit 64, one line on stderr that says `reason`, naming no subject reference.
    func expectRefused(
        _ result: CommandResult, saying reason: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("fieldcli: "), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(reason), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("ung-"), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stdout.isEmpty, sourceLocation: sourceLocation)
    }

    func references(_ result: CommandResult) throws -> [String] {
        let subjects = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]] ?? []
        return subjects.compactMap { $0["reference"] as? String }.sorted()
    }

    @Test func sharingNeedsConsentAndAnEnrolledStoreAndSaysSoInOneLine() throws {
        try fieldcli("init", "--adviser", "mette", "--kdf-cost", "12")
        try fieldcli("subject", "add", "ung-0142")
        let noteID = try fieldcli("note", "add", "ung-0142", "Walked", "to", "school")
            .stdout.trimmingCharacters(in: .whitespacesAndNewlines)

        expectRefused(
            try fieldcli("subject", "share", "ung-0142", "--team", "jobcentre", expect: 64),
            saying: "needs the young person's consent: --consent")
        expectRefused(
            try fieldcli("subject", "share", "ung-0142", "--consent", "the plan", expect: 64),
            saying: "--team TEAM")
        expectRefused(
            try fieldcli("subject", "share", "ung-0142", "--team", "jobcentre", "--consent", "the plan", expect: 64),
            saying: "enrol first")
        expectRefused(
            try fieldcli("subject", "unshare", "ung-0142", "--team", "jobcentre", expect: 64),
            saying: "enrol first")
        expectRefused(
            try fieldcli("note", "share", String(noteID.prefix(8)), "--team", "jobcentre", expect: 64),
            saying: "enrol first")
        expectRefused(
            try fieldcli(
                "subject", "handover", "ung-0142", "--to", "jonas", "--team", "jobcentre", "--note", "Over",
                "--consent", "the note", "--yes", expect: 64),
            saying: "enrol first")
        expectRefused(
            try fieldcli(
                "subject", "handover", "ung-0142", "--to", "jonas", "--note", "Over", "--keep-access", "soon",
                expect: 64),
            saying: "--keep-access")

        // Nothing was written by the refusals.
        let shown =
            try JSONSerialization.jsonObject(
                with: Data(try fieldcli("subject", "show", "ung-0142", "--json").stdout.utf8)) as? [String: Any]
        #expect(shown?["scope"] as? [String] == [])
        #expect(shown?["consentLog"] as? String == "")
        #expect(shown?["responsibleAdviser"] as? String == "mette")

        for command in [["subject", "share"], ["subject", "unshare"], ["subject", "handover"], ["note", "share"]] {
            let help = try cli.run("fieldcli", command + ["--help"])
            #expect(help.status == 0)
            #expect(help.stdout.contains("fieldcli \(command.joined(separator: " ")) "), "\(help.stdout)")
            #expect(help.stdout.contains("--team"))
        }
    }

    @Test func aHandoverWithinTheTeamMovesResponsibilityAndTheListOfMine() throws {
        try fieldcli("init", "--adviser", "mette", "--kdf-cost", "12")
        try fieldcli("subject", "add", "ung-0142")
        try fieldcli("subject", "add", "ung-0200")
        try fieldcli("subject", "add", "ung-0300", "--responsible", "lars")
        #expect(try references(try fieldcli("subject", "list", "--mine", "--json")) == ["ung-0142", "ung-0200"])

        expectRefused(
            try fieldcli("subject", "handover", "ung-0142", "--to", "lars", expect: 64),
            saying: "needs a note")
        expectRefused(
            try fieldcli("subject", "handover", "ung-0142", "--note", "Over to you", expect: 64),
            saying: "--to ADVISER")
        expectRefused(
            try fieldcli(
                "subject", "handover", "ung-0142", "--to", "lars", "--note", "x", "--consent", "all",
                expect: 64),
            saying: "for a handover to another team")

        let handed = try fieldcli(
            "subject", "handover", "ung-0142", "--to", "lars", "--note", "Wants to try the kitchen workshop")
        #expect(handed.stdout.hasPrefix("Handed ung-0142 over to lars; handover note "), "\(handed.stdout)")
        #expect(try references(try fieldcli("subject", "list", "--mine", "--json")) == ["ung-0200"])
        let table = try fieldcli("subject", "list", "--mine")
        #expect(table.stdout.contains("ung-0200"))
        #expect(!table.stdout.contains("ung-0142"))
        #expect(try fieldcli("subject", "show", "ung-0142").stdout.contains("Responsible  lars"))

        // The handover note is a note of kind handover, and a handover within the team shares nothing.
        let notes =
            try JSONSerialization.jsonObject(
                with: Data(
                    try fieldcli("note", "list", "--subject", "ung-0142", "--kind", "handover", "--json")
                        .stdout.utf8)) as? [[String: Any]]
        #expect(notes?.count == 1)
        #expect(notes?.first?["body"] as? String == "Wants to try the kitchen workshop")
        let shown =
            try JSONSerialization.jsonObject(
                with: Data(try fieldcli("subject", "show", "ung-0142", "--json").stdout.utf8)) as? [String: Any]
        #expect(shown?["scope"] as? [String] == [])
        // Handed to someone else, it is not among my follow-ups.
        #expect(!(try fieldcli("followups").stdout.contains("HANDOVER")))
        try fieldcli("verify")
    }
}
