import Foundation
import SyncProtocol

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Sends raw bytes to a live server over plain TCP and reads what comes back, for requests no HTTP client
/// would send (cut-off bodies, broken framing, a trickled body).
enum RawHTTPClient {
    /// One raw exchange's answer: the status and the body (after the blank line), if any arrived.
    struct Answer: CustomStringConvertible {
        var text: String
        /// Whether the server closed the connection (rather than the read timing out).
        var closedByServer: Bool

        var status: Int? {
            guard text.hasPrefix("HTTP/1.1 ") else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }

        var body: String {
            guard let range = text.range(of: "\r\n\r\n") else { return "" }
            return String(text[range.upperBound...])
        }

        var errorBody: ErrorBody? { try? WireCoding.decode(ErrorBody.self, from: body) }

        var description: String { text.count > 300 ? String(text.prefix(300)) + "…" : text }
    }

    /// Connects to `127.0.0.1:port`, sends `request`, half-closes the connection when `halfClose`, and reads
    /// until the server closes it or sends nothing for `readTimeout` seconds. Runs on its own thread.
    static func exchange(
        port: Int, _ request: String, halfClose: Bool = false, readTimeout: Int = 10
    ) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try blockingExchange(port, request, halfClose, readTimeout) })
            }
            thread.start()
        }
    }

    private static func blockingExchange(
        _ port: Int, _ request: String, _ halfClose: Bool, _ readTimeout: Int
    ) throws
        -> Answer
    {
        #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw TestSetupError("socket() failed") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: readTimeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw TestSetupError("connect() failed") }
        #if canImport(Glibc)
        let noSignal = Int32(MSG_NOSIGNAL)  // a write to a closed connection must not kill the test process
        #else
        let noSignal: Int32 = 0
        #endif
        let bytes = Array(request.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, noSignal) }
            // The server may close early (it answered a broken head before reading everything).
            guard n > 0 else { break }
            sent += n
        }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                received += buffer[0..<n]
                continue
            }
            let closed = n == 0 || errno == ECONNRESET
            return Answer(text: String(decoding: received, as: UTF8.self), closedByServer: closed)
        }
    }
}
