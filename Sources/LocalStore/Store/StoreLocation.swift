import Foundation

/// Where a store's files live: one directory holding the database, its key file and its lock file.
public struct StoreLocation: Sendable, Equatable {
    /// The store directory.
    public var directory: URL

    /// A store in `directory` (standardized); nothing is created until the store is.
    public init(directory: URL) {
        self.directory = directory.standardizedFileURL
    }

    /// The encrypted database file.
    public var databaseURL: URL { directory.appendingPathComponent("store.db") }
    /// The key file: the data key wrapped under the passphrase, with the scrypt parameters and salt.
    public var keyURL: URL { directory.appendingPathComponent("store.key") }
    /// The advisory lock file that keeps a second process out.
    public var lockURL: URL { directory.appendingPathComponent("store.lock") }

    /// Whether a store (its database file) exists here.
    public var exists: Bool { FileManager.default.fileExists(atPath: databaseURL.path) }

    /// The `file:` URI SQLite opens, percent-encoding the path so any directory name works.
    func databaseURI(vfs: String?, keySlot: String?) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%&=")
        let path = databaseURL.path.addingPercentEncoding(withAllowedCharacters: allowed) ?? databaseURL.path
        var query: [String] = []
        if let vfs { query.append("vfs=\(vfs)") }
        if let keySlot { query.append("fieldkey=\(keySlot)") }
        return "file:\(path)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }
}
