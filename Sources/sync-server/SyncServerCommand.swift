import ArgumentParser
import FieldsyncVersion

/// `sync-server`: the fieldsync team server and its administration commands.
@main
struct SyncServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync-server",
        abstract: "The fieldsync team sync server.",
        discussion: """
            Every option can also be set with an environment variable, named in its help \
            (the command line wins). The default database is an SQLite file in the data directory.
            """,
        version: FieldsyncVersion.line(for: "sync-server"),
        subcommands: [Serve.self, Admin.self]
    )
}
