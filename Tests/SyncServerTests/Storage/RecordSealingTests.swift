import Foundation
import SyncProtocol
import Testing

@testable import SyncServer

/// The per-record envelope of an encrypted PostgreSQL database (``RecordSealer``): pure, no database.
@Suite("Record sealing")
struct RecordSealingTests {
    static let key = [UInt8](repeating: 0x42, count: 32)
    static let otherKey = [UInt8](repeating: 0x43, count: 32)
    static let sealer = RecordSealer(key: key, keyFile: "test.key")
    static let place = RecordSealer.Place(home: "north", key: RecordKey(collection: "notes", id: "n1"))
    static let body = Data(#"{"body":"talked about methadone","subject":"ung-7"}"#.utf8)

    @Test func aSealedBodyOpensToTheSameBytesAndHidesThem() throws {
        let envelope = try Self.sealer.seal(Self.body, for: Self.place)
        #expect(try Self.sealer.open(envelope, for: Self.place) == Self.body)
        #expect(envelope.count == Self.body.count + 1 + 8 + 12 + 16)
        #expect(envelope.first == 1)
        #expect(envelope.range(of: Data("methadone".utf8)) == nil)
        #expect(envelope.range(of: Data("ung-7".utf8)) == nil)
        #expect(RecordSealer.keyID(ofEnvelope: envelope) == Self.sealer.keyID)
        // A fresh nonce each time: the same body never seals to the same bytes.
        #expect(try Self.sealer.seal(Self.body, for: Self.place) != envelope)
        // An empty body too.
        #expect(try Self.sealer.open(try Self.sealer.seal(Data(), for: Self.place), for: Self.place) == Data())
    }

    @Test func theKeyIDNamesTheKeyWithoutBeingIt() {
        #expect(Self.sealer.keyID.count == 16)
        #expect(Self.sealer.keyID.allSatisfy { $0.isHexDigit })
        #expect(RecordSealer(key: Self.key, keyFile: "elsewhere").keyID == Self.sealer.keyID)
        #expect(RecordSealer(key: Self.otherKey, keyFile: "x").keyID != Self.sealer.keyID)
        #expect(!Self.sealer.keyID.contains("4242"))
    }

    @Test(arguments: [0, 1, 8, 9, 20, 21, 40, -1])
    func aChangedByteIsRefused(offset: Int) throws {
        var envelope = try Self.sealer.seal(Self.body, for: Self.place)
        let index = offset >= 0 ? offset : envelope.count + offset
        envelope[index] ^= 0x01
        let error = #expect(throws: StorageError.self) { try Self.sealer.open(envelope, for: Self.place) }
        Self.expectNoContent(in: error)
        #expect(error?.description.contains("notes/n1") == true)
    }

    @Test func aShortenedEnvelopeIsRefused() throws {
        let envelope = try Self.sealer.seal(Self.body, for: Self.place)
        for length in [0, 1, 9, 36, envelope.count - 1] {
            let error = #expect(throws: StorageError.self) {
                try Self.sealer.open(envelope.prefix(length), for: Self.place)
            }
            Self.expectNoContent(in: error)
        }
    }

    @Test(arguments: [
        RecordSealer.Place(home: "south", key: RecordKey(collection: "notes", id: "n1")),
        RecordSealer.Place(home: "north", key: RecordKey(collection: "subjects", id: "n1")),
        RecordSealer.Place(home: "north", key: RecordKey(collection: "notes", id: "n2")),
        // The parts are length-prefixed: moving a character from one part to the next is another place.
        RecordSealer.Place(home: "nort", key: RecordKey(collection: "hnotes", id: "n1")),
    ])
    func anEnvelopeMovedToAnotherPlaceIsRefused(place: RecordSealer.Place) throws {
        let envelope = try Self.sealer.seal(Self.body, for: Self.place)
        let error = #expect(throws: StorageError.self) { try Self.sealer.open(envelope, for: place) }
        Self.expectNoContent(in: error)
        #expect(error?.description.contains("does not authenticate") == true)
    }

    @Test func anotherKeyIsRefusedNamingBothKeyIDs() throws {
        let envelope = try Self.sealer.seal(Self.body, for: Self.place)
        let other = RecordSealer(key: Self.otherKey, keyFile: "other.key")
        let error = #expect(throws: StorageError.self) { try other.open(envelope, for: Self.place) }
        Self.expectNoContent(in: error)
        #expect(error?.description.contains(Self.sealer.keyID) == true)
        #expect(error?.description.contains(other.keyID) == true)

        // The same key id with other key bytes (a forged header) still does not authenticate.
        var forged = try other.seal(Self.body, for: Self.place)
        forged.replaceSubrange(1..<9, with: envelope[1..<9])
        let forgedError = #expect(throws: StorageError.self) { try Self.sealer.open(forged, for: Self.place) }
        #expect(forgedError?.description.contains("does not authenticate") == true)
    }

    @Test func theSubjectIndexIsStablePerKeyAndRevealsNoID() {
        let index = Self.sealer.subjectIndex("ung-7")
        #expect(index == Self.sealer.subjectIndex("ung-7"))
        #expect(index.count == 32 && index.allSatisfy { $0.isHexDigit })
        #expect(index != Self.sealer.subjectIndex("ung-8"))
        #expect(index != RecordSealer(key: Self.otherKey, keyFile: "x").subjectIndex("ung-7"))
        #expect(!index.contains("ung"))
    }

    /// An error message names the record and keys, never a byte of the body.
    static func expectNoContent(in error: StorageError?) {
        guard let error else { return }
        #expect(!error.description.contains("methadone"))
        #expect(!error.description.contains("ung-7"))
    }
}
