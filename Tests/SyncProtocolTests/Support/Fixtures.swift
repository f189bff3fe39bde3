import Foundation
import SyncProtocolTesting

@testable import SyncProtocol

/// Fixed replica ids and helpers shared by the record tests.
enum Fixture {
    static let a = try! ReplicaID("a")
    static let b = try! ReplicaID("b")
    static let c = try! ReplicaID("c")
    static let server = try! ReplicaID("server")

    static let noteValues: [String: FieldValue] = [
        "subject": .reference("y-417"),
        "kind": .string("walk"),
        "occurredAt": .timestamp(Timestamp(millisecondsSince1970: 1_795_000_000_000)),
        "body": .text("Met at the station.\nWalked past the school.\nNext: call on Friday.\n"),
        "tags": .tags(["housing"]),
    ]

    static func note(id: String = "n1", by replica: ReplicaID = a) -> Record {
        try! Record.create(collection: "notes", id: id, values: noteValues, by: replica, schema: Schemas.notes)
    }

    static func json<T: Encodable>(_ value: T) -> String {
        try! CanonicalJSON.string(value)
    }
}
