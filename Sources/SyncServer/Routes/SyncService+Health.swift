import Foundation
import Hummingbird

extension SyncService {
    /// `GET /health`: `200` when the server is ready and its storage answers, `503 unavailable` otherwise.
    func health() async throws -> Response {
        _ = try serverInfo()
        do {
            _ = try await storage.serverReplica()
        } catch {
            logger.warning("health check: storage does not answer", metadata: ["error": "\(error)"])
            throw APIError.unavailable("the storage does not answer")
        }
        return .json(Data(#"{"status":"ok"}"#.utf8))
    }

    /// `GET /metrics`: the Prometheus text format.
    func renderMetrics() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
}
