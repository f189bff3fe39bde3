import Hummingbird
import Logging

/// Measures and logs every request: Prometheus counters and latency by route template, method and status.
struct RequestMetricsMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext

    let metrics: ServerMetrics

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        let response: Response
        do {
            response = try await next(request, context)
        } catch {
            record(
                request: request, context: context, status: (error as? any HTTPResponseError)?.status.code ?? 500,
                start: start)
            throw error
        }
        record(request: request, context: context, status: response.status.code, start: start)
        return response
    }

    private func record(request: Request, context: Context, status: Int, start: ContinuousClock.Instant) {
        let elapsed = ContinuousClock.now - start
        // The route template, never the raw path, so label values stay few and carry no identifiers.
        let route = context.endpointPath ?? "unmatched"
        metrics.recordRequest(route: route, method: request.method.rawValue, status: status, duration: elapsed)
        context.logger.debug(
            "request",
            metadata: [
                "http.method": "\(request.method)", "http.route": "\(route)", "http.status": "\(status)",
                "duration_ms": "\(Double(elapsed.nanoseconds) / 1e6)",
            ])
    }
}
