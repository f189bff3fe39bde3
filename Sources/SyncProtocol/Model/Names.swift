/// Syntax rules for the names and ids that appear in records.
public enum Names {
    /// Whether `name` is a valid collection or field name: `[a-z][A-Za-z0-9_]{0,63}`.
    public static func isValidName(_ name: String) -> Bool {
        let utf8 = name.utf8
        guard let first = utf8.first, utf8.count <= ProtocolLimits.maxNameBytes,
            first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z")
        else { return false }
        return utf8.allSatisfy { ReplicaID.isIDByte($0) && $0 != UInt8(ascii: "-") }
    }

    /// Whether `id` is a valid record id: 1–64 characters from `[A-Za-z0-9_-]`
    /// (a UUID, a ULID or any other random id made offline).
    public static func isValidRecordID(_ id: String) -> Bool {
        let utf8 = id.utf8
        return !utf8.isEmpty && utf8.count <= ProtocolLimits.maxRecordIDBytes && utf8.allSatisfy(ReplicaID.isIDByte)
    }
}
