import ArgumentParser
import Foundation
import LocalStore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a new encrypted store.",
        discussion: "Asks for a new passphrase twice on a terminal (else $FIELDCLI_PASSPHRASE or --passphrase-file)."
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: "Your name, recorded as the author of your notes (default: $USER).")
    var adviser: String?

    @Option(help: "A name for this device (default: the host name).")
    var deviceName: String?

    @Option(help: "The passphrase's scrypt cost as log2 N, 12-22 (default 16; each step doubles time and memory).")
    var kdfCost: UInt64 = KDFParameters.standard.log2N

    func validate() throws {
        guard (12...22).contains(kdfCost) else { throw ValidationError(Text.kdfCostRange) }
    }

    func run() throws {
        let directory = storeOptions.directory
        let location = StoreLocation(directory: directory)
        if location.exists {
            throw LocalStoreError.storeAlreadyExists(directory)
        }
        // A key file without a database is what an 'init' of an older fieldcli left when it was killed: it
        // holds no note (there is no database), so it is cleared rather than blocking this init forever.
        if FileManager.default.fileExists(atPath: location.keyURL.path) {
            try FileManager.default.removeItem(at: location.keyURL)
            printError("fieldcli: " + Text.removedInterruptedKey)
        }
        let passphrase = try PassphraseReader.read(
            file: storeOptions.passphraseFile, environment: PassphraseReader.environmentVariable,
            prompt: Text.promptNewPassphrase, confirm: true)
        let name = adviser ?? ProcessInfo.processInfo.environment["USER"] ?? "adviser"
        let store = try LocalStore.create(
            at: directory, passphrase: passphrase, adviser: name, deviceName: deviceName,
            options: LocalStore.Options(encryption: .encrypted(KDFParameters(log2N: kdfCost))))
        defer { store.close() }
        print(Text.created(directory.path, adviser: name, replica: "\(store.replicaID)"))
    }
}

struct Passwd: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Change the store's passphrase.",
        discussion: """
            The data key is rewrapped under the new passphrase; the notes are not rewritten. The new passphrase
            comes from --new-passphrase-file, else $FIELDCLI_NEW_PASSPHRASE, else a prompt (asked twice).
            """
    )

    @OptionGroup var storeOptions: StoreOptions

    @Option(help: ArgumentHelp("Read the new passphrase from this file.", valueName: "file"))
    var newPassphraseFile: String?

    func run() throws {
        let directory = storeOptions.directory
        guard StoreLocation(directory: directory).exists else { throw LocalStoreError.storeMissing(directory) }
        let old = try PassphraseReader.read(file: storeOptions.passphraseFile, prompt: Text.promptCurrentPassphrase)
        let new = try PassphraseReader.read(
            file: newPassphraseFile, environment: PassphraseReader.newEnvironmentVariable,
            prompt: Text.promptNewPassphrase, confirm: true)
        try LocalStore.changePassphrase(at: directory, old: old, new: new)
        print(Text.passphraseChanged)
    }
}
