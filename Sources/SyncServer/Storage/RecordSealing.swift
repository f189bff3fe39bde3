import Crypto
import Foundation
import SyncProtocol

/// Seals record bodies one by one with AES-256-GCM, so a database that lives outside the server process
/// (PostgreSQL: its files, dumps, replicas) never holds a record's content in the clear. The merge still runs in
/// the server process: the storage opens a body on read and seals the merged body on write.
///
/// The key is the 256-bit key of a server key file (``DatabaseKey``, `sync-server admin create-key`), the same
/// kind of file that encrypts an SQLite database. Three values are derived from it with HKDF-SHA256 (salt
/// `fieldsync-server-key-v1`, a distinct label each), so none of them is the file's key itself:
/// - the AES-256-GCM sealing key;
/// - the key of a blind index (HMAC-SHA256): a note's subject is stored as ``subjectIndex(_:)`` of its id, so the
///   storage still finds the notes of a subject by equality without holding the reference in the clear;
/// - the key id (8 bytes, shown as 16 hex digits): names the key in envelopes and error messages without
///   revealing anything usable about it.
///
/// Envelope, in bytes: `01` (the format version), the 8-byte key id, a 12-byte random nonce, the ciphertext and
/// the 16-byte tag. The associated data binds it to its place: a label, the version and key id, then the
/// record's home team, collection and id (each length-prefixed). The home team is the team the record was first
/// pushed to; it never changes, whoever reads the record later, so a change of scope never re-seals. An envelope
/// copied to another row, another team or another database key does not open.
///
/// ```swift
/// let sealer = RecordSealer(key: keyBytes, keyFile: "/etc/fieldsync/server.key")
/// let place = RecordSealer.Place(home: "north", key: RecordKey(collection: "notes", id: "n1"))
/// let envelope = try sealer.seal(body, for: place)
/// let body = try sealer.open(envelope, for: place)
/// ```
///
/// `@unchecked Sendable`: swift-crypto's `SymmetricKey` is not marked `Sendable`, but it is immutable once made and
/// only ever read here.
public struct RecordSealer: @unchecked Sendable {
    /// Where a sealed body belongs: what its associated data names.
    public struct Place: Sendable, Hashable, CustomStringConvertible {
        /// The record's home team (the team it was first pushed to).
        public var home: String
        /// The record.
        public var key: RecordKey

        /// Creates a place.
        public init(home: String, key: RecordKey) {
            self.home = home
            self.key = key
        }

        /// `collection/id`: the record's key, never its content.
        public var description: String { key.description }
    }

    /// The envelope format this version writes and reads.
    public static let version: UInt8 = 1
    static let keyIDByteCount = 8
    static let nonceByteCount = 12
    static let tagByteCount = 16
    /// The fewest bytes an envelope can have (an empty body).
    static let minimumEnvelopeByteCount = 1 + keyIDByteCount + nonceByteCount + tagByteCount

    /// The key id (16 hex digits): safe to print, store and compare.
    public let keyID: String
    /// The key file the key was read from, for messages.
    public let keyFile: String
    let keyIDBytes: [UInt8]
    private let sealingKey: SymmetricKey
    private let indexKey: SymmetricKey

    /// Derives the sealing key, the subject index key and the key id from a 256-bit key.
    public init<Key: ContiguousBytes>(key: Key, keyFile: String) {
        let master = SymmetricKey(data: key)
        precondition(master.bitCount == 256, "a record sealing key has 256 bits")
        func derive(_ label: String, _ count: Int) -> SymmetricKey {
            HKDF<SHA256>.deriveKey(
                inputKeyMaterial: master, salt: Array("fieldsync-server-key-v1".utf8), info: Array(label.utf8),
                outputByteCount: count)
        }
        sealingKey = derive("record sealing aes-256-gcm v1", 32)
        indexKey = derive("record subject index hmac-sha256 v1", 32)
        keyIDBytes = derive("record key id v1", Self.keyIDByteCount).withUnsafeBytes { Array($0) }
        keyID = Self.hex(keyIDBytes)
        self.keyFile = keyFile
    }

    /// Seals `body` for `place` under a fresh random nonce.
    public func seal(_ body: Data, for place: Place) throws(StorageError) -> Data {
        let box: AES.GCM.SealedBox
        do {
            box = try AES.GCM.seal(
                body, using: sealingKey, nonce: AES.GCM.Nonce(), authenticating: associatedData(place))
        } catch {
            throw .backend(operation: "sealing record '\(place)'", underlying: "\(error)")
        }
        var envelope = Data()
        envelope.reserveCapacity(Self.minimumEnvelopeByteCount + body.count)
        envelope.append(Self.version)
        envelope.append(contentsOf: keyIDBytes)
        envelope.append(contentsOf: box.nonce)
        envelope.append(box.ciphertext)
        envelope.append(box.tag)
        return envelope
    }

    /// Opens an envelope sealed for `place`; refuses one that was altered, moved or sealed under another key,
    /// with a message that names the record and the key ids, never a byte of the content.
    public func open(_ envelope: Data, for place: Place) throws(StorageError) -> Data {
        guard envelope.count >= Self.minimumEnvelopeByteCount, envelope.first == Self.version else {
            throw .sealedRecord(place.description, reason: "not a sealed record in a format this server reads")
        }
        let keyID = Array(envelope.dropFirst().prefix(Self.keyIDByteCount))
        guard keyID == keyIDBytes else {
            throw .sealedRecord(
                place.description, reason: "sealed under key id \(Self.hex(keyID)), not under this key (\(self.keyID))")
        }
        let rest = envelope.dropFirst(1 + Self.keyIDByteCount)
        do {
            let nonce = try AES.GCM.Nonce(data: rest.prefix(Self.nonceByteCount))
            let box = try AES.GCM.SealedBox(
                nonce: nonce, ciphertext: rest.dropFirst(Self.nonceByteCount).dropLast(Self.tagByteCount),
                tag: rest.suffix(Self.tagByteCount))
            return try AES.GCM.open(box, using: sealingKey, authenticating: associatedData(place))
        } catch {
            throw .sealedRecord(
                place.description, reason: "it does not authenticate: altered, or sealed for another record")
        }
    }

    /// The blind index of a subject id: 32 hex digits of HMAC-SHA256 under the index key. Equal ids give equal
    /// values, so the notes of one subject can still be found (and counted) by whoever holds the database, but
    /// not tied to a subject without the key.
    public func subjectIndex(_ subjectID: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Array(subjectID.utf8), using: indexKey)
        return Self.hex(Array(code).prefix(16))
    }

    /// The key id an envelope names, if it is an envelope of a known format (for messages).
    public static func keyID(ofEnvelope envelope: Data) -> String? {
        guard envelope.count >= minimumEnvelopeByteCount, envelope.first == version else { return nil }
        return hex(envelope.dropFirst().prefix(keyIDByteCount))
    }

    /// A label, the version and key id, then home team, collection and id, each with its length (4 bytes, big
    /// endian) in front, so no two places share associated data.
    func associatedData(_ place: Place) -> Data {
        var data = Data("fieldsync-record".utf8)
        data.append(Self.version)
        data.append(contentsOf: keyIDBytes)
        for part in [place.home, place.key.collection, place.key.id] {
            let bytes = Array(part.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { data.append(contentsOf: $0) }
            data.append(contentsOf: bytes)
        }
        return data
    }

    static func hex<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
