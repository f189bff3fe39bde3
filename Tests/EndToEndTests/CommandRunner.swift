// Every file of the end-to-end tests sees the shared test support (built products, process runner, temporary
// directories, the sync-server launcher) without importing it.
@_exported import FieldsyncTestSupport
import Foundation

/// The outcome of running a command: status, stdout, stderr, and stdout's lines.
typealias CommandResult = ProcessResult

/// Runs the package's built executables with a private environment (a minimal PATH, a temporary HOME, UTF-8) and
/// a deadline: a command still running at its deadline is killed and reported (``ProcessTimedOut``).
struct CommandRunner {
    var environment: [String: String]

    init(environment: [String: String] = [:]) {
        var base = ["PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path, "LANG": "C.UTF-8"]
        base.merge(environment) { _, new in new }
        self.environment = base
    }

    /// Runs the built `executable` with `arguments`, feeding `stdin` (or nothing), and waits at most `timeout`
    /// seconds.
    func run(
        _ executable: String, _ arguments: [String], stdin: String? = nil, extraEnvironment: [String: String] = [:],
        timeout: TimeInterval = 60
    ) throws -> CommandResult {
        // Standard input is always a pipe (empty unless `stdin` is given), as an adviser's shell pipeline gives.
        try ProcessRunner(environment: environment).run(
            BuiltProducts.url(executable), arguments, stdin: stdin ?? "", extraEnvironment: extraEnvironment,
            timeout: timeout)
    }
}
