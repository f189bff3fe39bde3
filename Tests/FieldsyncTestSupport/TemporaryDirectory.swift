import Foundation

/// A fresh directory under the system's temporary directory, removed with everything in it when the value is
/// released.
///
/// ```swift
/// let home = try TemporaryDirectory("sync")
/// let store = home.file("laptop")
/// ```
public final class TemporaryDirectory: @unchecked Sendable {
    public let url: URL

    /// Creates `fieldsync-LABEL-XXXXXXXX` (a random suffix, so parallel tests never share one).
    public init(_ label: String = "store") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("fieldsync-\(label)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    /// `name` inside the directory (not created).
    public func file(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: url) }
}
