import Foundation
import Testing

/// The shared test support's deadlines really fire: a child that hangs is killed and reported with what it wrote,
/// instead of hanging the suite (the old end-to-end server helper blocked in `availableData` past its deadline).
@Suite("Process deadlines")
struct ProcessDeadlineTests {
    static let shell = URL(fileURLWithPath: "/bin/sh")

    @Test("a command still running at its deadline is killed and reported with its output")
    func hungCommandIsKilled() throws {
        let started = ContinuousClock.now
        let error = try #require(throws: ProcessTimedOut.self) {
            try ProcessRunner().run(Self.shell, ["-c", "echo started; exec sleep 60"], timeout: 1)
        }
        #expect(started.duration(to: .now) < .seconds(20), "the deadline did not fire")
        #expect(error.stdout.contains("started"), "\(error)")
        #expect(!error.outputStayedOpen)
    }

    @Test("a server that never prints its listening line is killed at the start deadline")
    func silentServerIsKilled() throws {
        let started = ContinuousClock.now
        let error = try #require(throws: SyncServerLauncher.DidNotStart.self) {
            try SyncServerLauncher(["-c", "echo warming up; exec sleep 60"], executable: Self.shell, startDeadline: 1)
        }
        #expect(started.duration(to: .now) < .seconds(20), "the start deadline did not fire")
        #expect(error.reason.contains("no listening line"), "\(error)")
        #expect(error.stdout.contains("warming up"), "\(error)")
    }

    @Test("the listening line gives the URL, and stop ends the process with SIGTERM")
    func listeningLineAndStop() throws {
        let server = try SyncServerLauncher(
            ["-c", "echo 'sync-server listening on http://127.0.0.1:9'; exec sleep 60"], executable: Self.shell,
            startDeadline: 20)
        #expect(server.url == "http://127.0.0.1:9")
        #expect(server.isRunning)
        #expect(server.stop(within: 20) == SIGTERM, "sleep ends by SIGTERM")
        #expect(!server.isRunning)
    }
}
