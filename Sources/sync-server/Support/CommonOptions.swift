import ArgumentParser
import Foundation
import Logging
import SyncServer

/// Options shared by `serve` and `admin`: where the data is.
struct StorageOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "sqlite:PATH or postgres://user[:password]@host[:port]/database [env: FIELDSYNC_DATABASE]",
            valueName: "url"))
    var database: String?

    @Option(
        name: .customLong("data-dir"),
        help: ArgumentHelp(
            "Directory of the default SQLite database "
                + "[env: FIELDSYNC_DATA_DIR; default: ~/.local/share/fieldsync-server]",
            valueName: "dir"))
    var dataDirectory: String?

    @Option(
        name: .customLong("encryption-key-file"),
        help: ArgumentHelp(
            "Key file of an encrypted database (see 'admin create-key'; PostgreSQL: encrypts each record); "
                + "mode 0600 "
                + "[env: FIELDSYNC_ENCRYPTION_KEY_FILE; default: plain]",
            valueName: "file"))
    var encryptionKeyFile: String?

    @Option(
        name: .customLong("log-level"),
        help: ArgumentHelp("trace, debug, info, notice, warning, error [env: FIELDSYNC_LOG_LEVEL; default: info]"))
    var logLevel: String?

    /// The storage location from the flag, the environment, or the default file in the data directory.
    func location() throws -> StorageLocation {
        if let url = database ?? Environment.value("FIELDSYNC_DATABASE") {
            do {
                return try StorageLocation(parsing: url)
            } catch {
                throw ValidationError(error.description)
            }
        }
        return .default(dataDirectory: resolvedDataDirectory())
    }

    /// The key file from the flag or the environment, if any.
    var resolvedEncryptionKeyFile: String? {
        encryptionKeyFile ?? Environment.value("FIELDSYNC_ENCRYPTION_KEY_FILE")
    }

    /// The database key, loaded from the key file, or `nil` for a plain database.
    func encryptionKey() throws(StorageError) -> DatabaseKey? {
        try resolvedEncryptionKeyFile.map { path throws(StorageError) in try DatabaseKey.load(from: path) }
    }

    func resolvedDataDirectory() -> String {
        if let directory = dataDirectory ?? Environment.value("FIELDSYNC_DATA_DIR") { return directory }
        let home =
            Environment.value("XDG_DATA_HOME")
            ?? (Environment.value("HOME").map { $0 + "/.local/share" } ?? ".")
        return home + "/fieldsync-server"
    }

    /// Sends structured logs to standard error, at the chosen level.
    func makeLogger(label: String) throws -> Logger {
        let text = logLevel ?? Environment.value("FIELDSYNC_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ValidationError("unknown log level '\(text)'")
        }
        LoggingBootstrap.once(level: level)
        var logger = Logger(label: label)
        logger.logLevel = level
        return logger
    }
}

enum Environment {
    /// A non-empty environment variable.
    static func value(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }
}

enum LoggingBootstrap {
    private static let done: Void = {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .trace
            return handler
        }
    }()

    static func once(level: Logger.Level) {
        _ = done
    }
}
