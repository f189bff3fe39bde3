import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The unlock agent's messages on its Unix socket: one request and one reply per connection.
///
/// Request: `FCA1`, an operation byte, the store directory (u16 length, UTF-8), then for `put` the key material
/// (48 bytes), the lifetime and the idle timeout (u64 seconds each). Reply: a status byte, then for `get` the key
/// material and the expiry (u64 Unix seconds), for `status` the expiry and the idle expiry.
enum AgentWire {
    static let magic: [UInt8] = Array("FCA1".utf8)

    enum Operation: UInt8 {
        case get = 1
        case put = 2
        case status = 3
        case lock = 4
    }

    enum Reply: UInt8 {
        case ok = 0
        case notHeld = 1
        case refused = 2
    }

    /// The agent's socket: `$FIELDCLI_AGENT_SOCKET`, else `agent.sock` in a private folder of the runtime directory,
    /// which `create` makes when it is missing (only `fieldcli unlock` does; other commands just look).
    static func socketPath(
        create: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws -> String {
        if let path = environment["FIELDCLI_AGENT_SOCKET"], !path.isEmpty { return path }
        let folder = try RuntimeDirectory.url().appendingPathComponent("fieldcli-agent")
        if create, mkdir(folder.path, 0o700) != 0 && errno != EEXIST {
            throw CLIError(Text.cannotCreate(folder.path, reason: String(cString: strerror(errno))))
        }
        guard RuntimeDirectory.isPrivate(folder.path) else {
            throw CLIError(Text.notPrivate(folder.path))
        }
        return folder.appendingPathComponent("agent.sock").path
    }

    /// The key under which the agent keeps a store: its directory with symlinks resolved.
    static func storeKey(_ directory: URL) -> String {
        directory.standardizedFileURL.resolvingSymlinksInPath().path
    }

    static func request(_ operation: Operation, store: String) -> [UInt8] {
        let path = Array(store.utf8.prefix(4096))
        return magic + [operation.rawValue, UInt8(path.count >> 8), UInt8(path.count & 0xff)] + path
    }

    static func bytes(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * (7 - $0))) }
    }

    static func integer(_ bytes: some Collection<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}

/// A connected stream socket with a deadline on every read and write, closed on release.
final class AgentConnection {
    let descriptor: Int32

    init(descriptor: Int32, timeoutSeconds: Int = 2) {
        self.descriptor = descriptor
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Connects to the agent's socket; nil when no agent listens there.
    static func connect(to path: String) -> AgentConnection? {
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        let connected = withSocketAddress(path) { address, length in Glibc.connect(descriptor, address, length) }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        return AgentConnection(descriptor: descriptor)
    }

    /// The user id of the process at the other end (SO_PEERCRED).
    var peerUser: uid_t? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }, which Swift's Glibc module does not import.
        var credentials: [UInt32] = [0, 0, 0]
        var length = socklen_t(12)
        guard getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0, length == 12 else {
            return nil
        }
        return credentials[1]
    }

    func write(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { write($0) }
    }

    func write(_ buffer: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let sent = send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
            if sent < 0 && errno == EINTR { continue }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Reads exactly `buffer.count` bytes into `buffer`; false on end of stream, error or timeout.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let received = recv(descriptor, buffer.baseAddress! + offset, buffer.count - offset, 0)
            if received < 0 && errno == EINTR { continue }
            guard received > 0 else { return false }
            offset += received
        }
        return true
    }

    func read(_ count: Int) -> [UInt8]? {
        var bytes = [UInt8](repeating: 0, count: count)
        let complete = bytes.withUnsafeMutableBytes { read(into: $0) }
        return complete ? bytes : nil
    }

    deinit { close(descriptor) }
}

/// Calls `body` with a `sockaddr_un` for `path`.
func withSocketAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8.prefix(MemoryLayout.size(ofValue: address.sun_path) - 1))
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        raw.copyBytes(from: bytes)
        raw[bytes.count] = 0
    }
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
        }
    }
}
