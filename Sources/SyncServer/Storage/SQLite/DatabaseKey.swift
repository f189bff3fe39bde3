import CFieldVFS
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The key that encrypts the server's embedded SQLite database at rest, read from a key file; in a PostgreSQL
/// database the same key seals each record instead (``recordSealer``).
///
/// A key file is one line of text, `fieldsync-server-key-v1 KEY ID CHECK`: the 256-bit key (64 hex digits),
/// the 16-byte database id (32 hex digits, not secret: it is stored in the clear at the start of the database
/// file, so a key file is matched with its database before SQLite opens it) and a check value (16 hex digits
/// of a SHA-256 over both, so a damaged or mistyped file is refused instead of used), mode 0600. It is not
/// protected by a passphrase (the server must start unattended): keep it off the disk that holds the database
/// and its backups. Loading it installs the key in an in-process slot of the
/// `fieldvfs` VFS; the database is then opened as `file:PATH?vfs=fieldvfs&fieldkey=SLOT`. The key never
/// appears in a URI, a log line or an error message.
///
/// ```swift
/// try DatabaseKey.createFile(at: "/etc/fieldsync/db.key")
/// let key = try DatabaseKey.load(from: "/etc/fieldsync/db.key")
/// let storage = try SQLiteStorage(path: "/srv/fieldsync.sqlite", encryptionKey: key, logger: logger)
/// ```
public final class DatabaseKey: @unchecked Sendable {
    /// The key file this key was read from (for messages).
    public let keyFile: String
    /// The opaque id of the VFS key slot (not secret: it only names the slot inside this process).
    let slot: String
    /// The database id, as stored in the clear in bytes 0–15 of the encrypted database file.
    let databaseID: [UInt8]
    /// The per-record sealing derived from the same key, for a PostgreSQL database (see ``RecordSealer``).
    public let recordSealer: RecordSealer
    private let released = Mutex(false)

    static let header = "fieldsync-server-key-v1"
    static let keyByteCount = 32
    static let databaseIDByteCount = 16

    private init(keyFile: String, slot: String, databaseID: [UInt8], recordSealer: RecordSealer) {
        self.keyFile = keyFile
        self.slot = slot
        self.databaseID = databaseID
        self.recordSealer = recordSealer
    }

    /// Writes a new random key and database id to a new file, mode 0600; never replaces an existing file.
    public static func createFile(at path: String) throws(StorageError) {
        var generator = SystemRandomNumberGenerator()
        var secret = (0..<(keyByteCount + databaseIDByteCount)).map { _ in
            UInt8.random(in: .min ... .max, using: &generator)
        }
        // Built in one buffer reserved up front, so no copy of the key is left behind by a reallocation.
        var line: [UInt8] = []
        line.reserveCapacity(256)
        line.append(contentsOf: Array((header + " ").utf8))
        appendHex(secret[0..<keyByteCount], to: &line)
        line.append(0x20)
        appendHex(secret[keyByteCount...], to: &line)
        line.append(0x20)
        appendHex(check(secret), to: &line)
        line.append(0x0A)
        defer {
            wipe(&secret)
            wipe(&line)
        }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == EEXIST { throw .keyFile(path, reason: "exists already; it is never replaced") }
            throw .keyFile(path, reason: String(cString: strerror(code)))
        }
        // The umask may have removed bits but never added any; make sure of 0600 whatever it is.
        _ = fchmod(descriptor, 0o600)
        let written = line.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == line.count, synced == 0 else {
            let code = errno
            unlink(path)
            throw .keyFile(path, reason: "cannot write it: \(String(cString: strerror(code)))")
        }
        syncDirectory(of: path)
    }

    /// Reads a key file and installs its key in a VFS slot.
    ///
    /// Refuses a file that group or others may access (as ssh does with private keys), one that is not a
    /// regular file, and one that is not in the format ``createFile(at:)`` writes.
    public static func load(from path: String) throws(StorageError) -> DatabaseKey {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .keyFile(path, reason: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw .keyFile(path, reason: String(cString: strerror(errno)))
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .keyFile(path, reason: "not a regular file") }
        let permissions = status.st_mode & 0o777
        guard permissions & 0o077 == 0 else {
            throw .keyFile(
                path,
                reason: "permissions \(String(format: "%04o", permissions)) are too open: "
                    + "it must not be accessible by group or others (chmod 600)")
        }
        var content = [UInt8](repeating: 0, count: 256)
        defer { wipe(&content) }
        let count = content.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count >= 0 else { throw .keyFile(path, reason: String(cString: strerror(errno))) }
        var secret = try parse(content[0..<count], path: path)
        defer { wipe(&secret) }

        guard fieldvfs_register() == 0 else { throw .keyFile(path, reason: "cannot register the encrypting VFS") }
        var slotID = [CChar](repeating: 0, count: Int(FIELDVFS_SLOT_LEN))
        let code = secret.withUnsafeBufferPointer { bytes in
            fieldvfs_slot_import(bytes.baseAddress!, bytes.baseAddress! + keyByteCount, &slotID)
        }
        guard code == FIELDVFS_OK else {
            throw .keyFile(path, reason: "cannot install the key: \(String(cString: fieldvfs_errstr(code)))")
        }
        let slot = String(decoding: slotID.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return DatabaseKey(
            keyFile: path, slot: slot, databaseID: Array(secret[keyByteCount...]),
            recordSealer: RecordSealer(key: secret[0..<keyByteCount], keyFile: path))
    }

    /// Wipes the key from the VFS. Close every connection that uses it first.
    public func release() {
        let first = released.withLock { released in
            defer { released = true }
            return !released
        }
        if first { _ = fieldvfs_slot_release(slot) }
    }

    deinit { release() }

    /// `file:` URI of `path` opened through the VFS with this key.
    func uri(forDatabaseAt path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%&=")
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        let encoded = absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute
        return "file:\(encoded)?vfs=\(FIELDVFS_NAME)&\(FIELDVFS_KEY_PARAM)=\(slot)"
    }

    /// The key and database id of a key file's content, or an error that names no byte of the content.
    private static func parse(_ content: ArraySlice<UInt8>, path: String) throws(StorageError) -> [UInt8] {
        let bad = StorageError.keyFile(path, reason: "not a fieldsync-server key file (see 'admin create-key')")
        let fields = content.split(whereSeparator: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 })
        guard fields.count == 4, Array(fields[0]) == Array(header.utf8),
            fields[1].count == keyByteCount * 2, fields[2].count == databaseIDByteCount * 2,
            fields[3].count == checkByteCount * 2
        else { throw bad }
        var secret: [UInt8] = []
        secret.reserveCapacity(keyByteCount + databaseIDByteCount + checkByteCount)
        for field in fields[1...3] {
            var index = field.startIndex
            while index < field.endIndex {
                guard let high = nibble(field[index]), let low = nibble(field[index + 1]) else {
                    wipe(&secret)
                    throw bad
                }
                secret.append(high << 4 | low)
                index += 2
            }
        }
        var stored = Array(secret[(keyByteCount + databaseIDByteCount)...])
        secret.removeLast(checkByteCount)
        guard stored == check(secret) else {
            wipe(&secret)
            wipe(&stored)
            throw .keyFile(path, reason: "damaged: its check value does not match its key")
        }
        return secret
    }

    static let checkByteCount = 8

    /// The first 8 bytes of SHA-256 over a label, the key and the database id: detects damage, reveals nothing
    /// usable about a 256-bit key.
    private static func check(_ secret: [UInt8]) -> [UInt8] {
        var message = Array("fieldsync-server-key-v1 check".utf8) + secret
        defer { wipe(&message) }
        return Array(SHA256Digest.bytes(message).prefix(checkByteCount))
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x61...0x66: byte - 0x61 + 10
        case 0x41...0x46: byte - 0x41 + 10
        default: nil
        }
    }

    private static func appendHex<Bytes: Collection<UInt8>>(_ bytes: Bytes, to out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
    }

    /// Overwrites a buffer that held key material.
    static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            explicit_bzero(base, buffer.count)
        }
    }

    /// Makes a new or renamed directory entry durable.
    static func syncDirectory(of path: String) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
