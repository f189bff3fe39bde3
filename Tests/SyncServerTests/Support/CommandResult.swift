import Foundation
import SyncClient
import SyncProtocol

/// A finished `sync-server` run: exit status and both output streams.
struct CommandResult {
    var status: Int32
    var output: String
    var error: String

    /// Runs `sync-server` with `arguments` to completion; one still running after `deadline` is killed and
    /// reported (``ProcessTimedOut``).
    static func run(
        _ arguments: [String], environment: [String: String] = [:], deadline: Duration = .seconds(60)
    ) throws -> CommandResult {
        let result = try ProcessRunner(environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
            .run(try ServerProcess.executable, arguments, timeout: TimeInterval(deadline.components.seconds))
        return CommandResult(status: result.status, output: result.stdout, error: result.stderr)
    }
}

/// A team with one adviser, set up through `sync-server admin`, and devices enrolled into it over HTTP.
struct AdminFixture {
    let environment: [String: String]
    let team: String
    let adviser: String

    init(environment: [String: String]) throws {
        self.environment = environment
        team = TestEnvironment.uniqueName("team")
        adviser = TestEnvironment.uniqueName("adviser")
        try ServerProcess.run(["admin", "create-team", team], environment: environment)
        try ServerProcess.run(["admin", "add-adviser", "--team", team, adviser], environment: environment)
    }

    /// Issues an enrolment code with `admin enrolment-code` and redeems it at `baseURL`.
    func enrolDevice(baseURL: String) async throws -> EnrollResponse {
        let output = try ServerProcess.run(
            ["admin", "enrolment-code", "--adviser", adviser, "--expires", "10m"], environment: environment)
        guard let code = output.split(separator: "\n").last.map(String.init) else {
            throw TestSetupError("admin enrolment-code printed no code")
        }
        let transport = try HTTPSyncTransport(
            configuration: .init(baseURL: baseURL), logger: TestEnvironment.logger)
        defer { Task { try? await transport.shutdown() } }
        return try await transport.enroll(EnrollRequest(code: code, deviceName: "laptop"))
    }
}

/// Whether any file directly in `directory` contains any of `needles` (as UTF-8 bytes); returns the offenders.
func filesContaining(_ needles: [String], in directory: URL) throws -> [String] {
    var offenders: [String] = []
    for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        for needle in needles where data.range(of: Data(needle.utf8)) != nil {
            offenders.append("\(name) contains a known plaintext")
        }
    }
    return offenders
}
