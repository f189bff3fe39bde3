import Foundation
import LocalStore

#if canImport(Glibc)
import Glibc
#endif

/// What store commands ask of the unlock agent. Every failure to reach it means "not unlocked": the command
/// then falls back to the passphrase, so a dead or absent agent never blocks anyone.
struct AgentClient {
    var socketPath: String

    init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// The client for this user's agent, or nil when there is no private place for its socket.
    static func local() -> AgentClient? {
        (try? AgentWire.socketPath()).map(AgentClient.init(socketPath:))
    }

    /// The store's key, when the agent holds it (and it still fits the store's key file).
    func key(for directory: URL) -> StoreKey? {
        guard let connection = connectToOwnAgent() else { return nil }
        let store = AgentWire.storeKey(directory)
        guard connection.write(AgentWire.request(.get, store: store)),
            connection.read(1) == [AgentWire.Reply.ok.rawValue]
        else { return nil }
        var material = [UInt8](repeating: 0, count: StoreKey.materialLength + 8)
        defer { material.withUnsafeMutableBytes { explicit_bzero($0.baseAddress!, $0.count) } }
        guard material.withUnsafeMutableBytes({ connection.read(into: $0) }) else { return nil }
        return material.withUnsafeBytes { raw in
            try? StoreKey.importing(UnsafeRawBufferPointer(rebasing: raw[0..<StoreKey.materialLength]), for: directory)
        } ?? nil
    }

    /// Hands the key to the agent for `lifetime` seconds, wiped earlier after `idle` seconds without use.
    func put(_ key: StoreKey, lifetime: UInt64, idle: UInt64) throws {
        guard let connection = connectToOwnAgent() else { throw CLIError(Text.agentNotRunning) }
        let header = AgentWire.request(.put, store: AgentWire.storeKey(key.directory))
        let sent =
            try connection.write(header) && key.withMaterial { connection.write($0) }
            && connection.write(AgentWire.bytes(lifetime) + AgentWire.bytes(idle))
        guard sent, connection.read(1) == [AgentWire.Reply.ok.rawValue] else {
            throw CLIError(Text.agentRefusedKey)
        }
    }

    /// Until when the agent holds the store's key, and until when if nobody uses it; nil when it does not.
    func status(for directory: URL) -> (until: Date, idleUntil: Date)? {
        guard let connection = connectToOwnAgent(),
            connection.write(AgentWire.request(.status, store: AgentWire.storeKey(directory))),
            connection.read(1) == [AgentWire.Reply.ok.rawValue],
            let times = connection.read(16)
        else { return nil }
        return (
            Date(timeIntervalSince1970: Double(AgentWire.integer(times[0..<8]))),
            Date(timeIntervalSince1970: Double(AgentWire.integer(times[8..<16])))
        )
    }

    /// Whether an agent of this user answers on the socket.
    var isRunning: Bool { connectToOwnAgent() != nil }

    /// Asks the agent to wipe every key and end; false when no agent was running.
    func lock() -> Bool {
        guard let connection = connectToOwnAgent(),
            connection.write(AgentWire.request(.lock, store: ""))
        else { return false }
        return connection.read(1) == [AgentWire.Reply.ok.rawValue]
    }

    /// A connection to an agent that runs as this user (a socket someone else planted is never trusted).
    private func connectToOwnAgent() -> AgentConnection? {
        guard let connection = AgentConnection.connect(to: socketPath), connection.peerUser == getuid() else {
            return nil
        }
        return connection
    }
}
