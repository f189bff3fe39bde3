import Foundation
import Testing

/// `fieldcli simulate` as a developer runs it: the options a failed run's replay command names are all accepted,
/// and replaying gives the same run.
@Suite("fieldcli simulate", .serialized)
struct SimulateCLITests {
    let cli = CommandRunner(environment: [:])

    func report(_ result: CommandResult) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    @Test func theReplayCommandIsAcceptedAndReplaysTheSameRun() throws {
        let first = try cli.run(
            "fieldcli",
            [
                "simulate", "--seed", "5", "--devices", "4", "--ops", "6", "--workload", "classic", "--team-size",
                "2-3",
                "--faults", "none", "--json",
            ])
        #expect(first.status == 0, "\(first.stderr)")
        let run = try report(first)
        let replay = try #require(run["replayCommand"] as? String)
        for part in ["--workload classic", "--team-size 2-3", "--faults none", "--seed 5"] {
            #expect(replay.contains(part), "\(replay)")
        }
        let words = replay.split(separator: " ").map(String.init)
        #expect(words.first == "fieldcli")
        let again = try cli.run("fieldcli", Array(words.dropFirst()) + ["--json"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try report(again)["eventHash"] as? String == run["eventHash"] as? String)
    }

    @Test func aBrokenServerFailsWithAReplayThatNamesIt() throws {
        let broken = try cli.run(
            "fieldcli",
            [
                "simulate", "--seed", "3", "--devices", "8", "--ops", "25", "--merge", "last-writer-wins",
            ])
        #expect(broken.status == 1)
        #expect(broken.stdout.contains("replay: fieldcli simulate --seed 3 --devices 8 --ops 25"), "\(broken.stdout)")
        #expect(broken.stdout.contains("--merge last-writer-wins"))
    }

    @Test func badValuesAreRefusedInOneLine() throws {
        for arguments in [["--workload", "nope"], ["--team-size", "5-2"], ["--faults", "gentle"]] {
            let refused = try cli.run("fieldcli", ["simulate"] + arguments)
            #expect(refused.status == 64, "\(arguments): \(refused.stderr)")
            #expect(refused.stderr.contains(arguments[0]), "\(refused.stderr)")
        }
    }
}
