/// The versions of the wire protocol this build speaks, and how two sides pick one.
///
/// Every message body carries a `protocolVersion` integer. A client lists the versions it speaks in
/// ``HelloRequest``; the server answers with the highest version both sides speak. A version number
/// changes only when a message changes incompatibly; adding an optional field does not change it.
public enum ProtocolVersion {
    /// The version this build writes.
    public static let current = 2

    /// Every version this build can read and write, ascending.
    public static let supported: [Int] = [1, 2]

    /// The highest version in both lists, or `nil` when the two sides share none.
    ///
    /// ```swift
    /// ProtocolVersion.negotiate(client: [1, 2], server: [1]) // 1
    /// ```
    public static func negotiate(client: [Int], server: [Int] = supported) -> Int? {
        Set(client).intersection(server).max()
    }
}
