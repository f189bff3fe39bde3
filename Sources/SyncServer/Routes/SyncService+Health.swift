import Foundation
import Hummingbird

extension SyncService {
    /// `GET /health`: `200` once storage is ready, `503` before.
    func health() throws -> Response {
        _ = try serverInfo()
        return .json(Data(#"{"status":"ok"}"#.utf8))
    }

    /// `GET /metrics`: the Prometheus text format.
    func renderMetrics() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: metrics.render())))
    }
}
