import ArgumentParser
import Foundation
import LocalStore

/// Options every command that touches the store takes.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .long,
        help: ArgumentHelp(
            "The store directory (default: $FIELDCLI_HOME, else ~/.fieldcli).", valueName: "dir"))
    var store: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Read the passphrase from this file (else $FIELDCLI_PASSPHRASE, else a prompt).", valueName: "file"))
    var passphraseFile: String?

    /// The store directory, from `--store`, `$FIELDCLI_HOME` or `~/.fieldcli`.
    var directory: URL {
        if let store { return URL(fileURLWithPath: store) }
        if let home = ProcessInfo.processInfo.environment["FIELDCLI_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".fieldcli")
    }

    /// Opens the store: with the key the unlock agent holds for it, else asking for the passphrase (only if a
    /// store exists).
    func open() throws -> LocalStore {
        let location = StoreLocation(directory: directory)
        guard location.exists else { throw LocalStoreError.storeMissing(location.directory) }
        if let key = AgentClient.local()?.key(for: directory) {
            return try LocalStore.open(at: directory, key: key)
        }
        let passphrase = try PassphraseReader.read(file: passphraseFile)
        return try LocalStore.open(at: directory, passphrase: passphrase)
    }

    /// Opens the store, runs `body`, and closes the store (wiping its key) whatever happens.
    func withStore<T>(_ body: (LocalStore) throws -> T) throws -> T {
        try open().withClosing(body)
    }

    /// The store's key, unwrapped once for a command that opens the store more than once (around an editor
    /// session, which must not hold the store: another command, a sync, may run meanwhile). From the unlock
    /// agent when it holds it, else from the passphrase.
    func unlock() throws -> StoreKey {
        let location = StoreLocation(directory: directory)
        guard location.exists else { throw LocalStoreError.storeMissing(location.directory) }
        if let key = AgentClient.local()?.key(for: directory) { return key }
        return try LocalStore.unlock(at: directory, passphrase: PassphraseReader.read(file: passphraseFile))
    }

    /// Opens the store with a key from ``unlock()``, runs `body`, and closes the store (keeping the key).
    func withStore<T>(_ key: StoreKey, _ body: (LocalStore) throws -> T) throws -> T {
        try LocalStore.open(at: directory, key: key).withClosing(body)
    }
}

/// The `--json` flag.
struct JSONOption: ParsableArguments {
    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false
}
