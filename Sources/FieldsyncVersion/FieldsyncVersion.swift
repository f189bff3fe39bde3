/// The release version of fieldsync, shared by `fieldcli` and `sync-server` (and read back by the packaging
/// scripts from `--version`): change it here only.
public enum FieldsyncVersion {
    /// The version number, e.g. `0.3.0`.
    public static let number = "0.3.0"

    /// The line `--version` prints: the command's name and the version, e.g. `fieldcli 0.3.0`.
    public static func line(for command: String) -> String { "\(command) \(number)" }
}
