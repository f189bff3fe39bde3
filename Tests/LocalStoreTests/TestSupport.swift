// Every file of the store tests sees the shared test support (temporary directories, seeded generator) without
// importing it.
@_exported import FieldsyncTestSupport
import Foundation
import LocalStore

/// Every regular file in a directory, by name, with its bytes.
func snapshot(_ directory: URL) throws -> [String: Data] {
    var result: [String: Data] = [:]
    for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
        let url = directory.appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue {
            result[name] = try Data(contentsOf: url)
        }
    }
    return result
}

extension Data {
    func contains(_ text: String) -> Bool { range(of: Data(text.utf8)) != nil }
}

let testPassphrase = "correct horse battery staple"

func makeStore(
    _ dir: TemporaryDirectory, encrypted: Bool = true, journal: LocalStore.JournalMode = .wal,
    adviser: String = "mette"
) throws -> LocalStore {
    try LocalStore.create(
        at: dir.url, passphrase: Passphrase(testPassphrase), adviser: adviser, deviceName: "laptop",
        options: LocalStore.Options(encryption: encrypted ? .encrypted(.testing) : .none, journalMode: journal))
}

func reopen(
    _ dir: TemporaryDirectory, encrypted: Bool = true, journal: LocalStore.JournalMode = .wal,
    passphrase: String = testPassphrase
) throws -> LocalStore {
    try LocalStore.open(
        at: dir.url, passphrase: Passphrase(passphrase),
        options: LocalStore.Options(encryption: encrypted ? .encrypted(.testing) : .none, journalMode: journal))
}
