import Foundation
import Testing

/// A suite that drives several devices' stores (`a`, `b`, ... in one temporary directory) with the real
/// `fieldcli`, as an adviser on each device would: the shared way the end-to-end stories run commands.
protocol FieldCLIDevices {
    /// The directory holding every device's store.
    var home: TemporaryDirectory { get }
    /// Runs the executables, with the stores' passphrase in the environment.
    var cli: CommandRunner { get }
}

extension FieldCLIDevices {
    /// A runner whose commands find the stores' passphrase in `FIELDCLI_PASSPHRASE`.
    static func makeRunner() -> CommandRunner {
        CommandRunner(environment: ["FIELDCLI_PASSPHRASE": "a long field passphrase"])
    }

    /// Runs fieldcli on one device's store and expects `status` (success by default).
    @discardableResult
    func on(
        _ device: String, _ arguments: String..., expect status: Int32 = 0,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> CommandResult {
        let result = try cli.run("fieldcli", arguments + ["--store", home.url.appendingPathComponent(device).path])
        #expect(
            result.status == status, "fieldcli \(arguments.joined(separator: " ")): \(result.stderr)",
            sourceLocation: sourceLocation)
        return result
    }

    /// A command's standard output parsed as JSON.
    func json(_ result: CommandResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }
}
