import Foundation

extension AuditEvent {
    /// The record ids as a JSON array, the form both backends store.
    static func encodeRecordIDs(_ ids: [String]) -> String {
        guard let data = try? JSONEncoder().encode(ids) else { return "[]" }
        return String(decoding: data, as: UTF8.self)
    }

    static func decodeRecordIDs(_ text: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
    }
}
