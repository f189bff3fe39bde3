/// Bounds every replica enforces on decoded data, so a malformed or hostile record is
/// rejected with a ``ModelError`` instead of exhausting memory or breaking causality.
public enum ProtocolLimits {
    /// The largest counter: 2^53 - 1, the largest integer every JSON parser reads exactly.
    public static let maxCounter: UInt64 = (1 << 53) - 1
    /// The most entries a record's clock may have: one per replica that ever wrote the record,
    /// far above a team's devices plus its servers.
    public static let maxClockEntries = 256
    /// The longest record id, in UTF-8 bytes.
    public static let maxRecordIDBytes = 64
    /// The longest collection or field name, in UTF-8 bytes.
    public static let maxNameBytes = 64
    /// The largest text, string or reference value, in UTF-8 bytes (1 MiB).
    public static let maxValueBytes = 1 << 20
    /// The longest tag, in UTF-8 bytes.
    public static let maxTagBytes = 128
    /// The most fields one record may hold.
    public static let maxFields = 256
    /// The most tags one tag field may hold.
    public static let maxTags = 1024
}
