import Foundation
import Hummingbird
import SyncProtocol

/// Builds the router of the sync API.
public enum SyncRoutes {
    /// A router with every route of ``RouteDescriptor/all`` and the API's middleware.
    public static func makeRouter(service: SyncService) -> Router<SyncRequestContext> {
        let router = Router(context: SyncRequestContext.self)
        // Middleware applies to routes added after it, so it goes first.
        router.add(middleware: RequestMetricsMiddleware(metrics: service.metrics))
        router.add(middleware: ErrorMiddleware(routes: RouteDescriptor.all, storage: service.storage))

        router.on(path(.health), method: .get) { _, _ in try await service.health() }
        router.on(path(.metrics), method: .get) { _, _ in service.renderMetrics() }
        router.on(path(.enroll), method: .post) { request, context in
            try await service.enroll(request, context: context)
        }

        let authenticated = router.group().add(middleware: AuthenticationMiddleware(service: service))
        authenticated.on(path(.hello), method: .post) { request, context in
            try await service.hello(request, context: context)
        }
        authenticated.on(path(.push), method: .post) { request, context in
            try await service.push(request, context: context)
        }
        authenticated.on(path(.pull), method: .get) { request, context in
            try await service.pull(request, context: context)
        }
        authenticated.on(path(.devices), method: .get) { request, context in
            try await service.teamDirectory(request, context: context)
        }
        return router
    }

    private static func path(_ route: RouteDescriptor) -> RouterPath {
        RouterPath(route.routerPath)
    }
}

extension Response {
    /// A `200` (or `status`) answer whose body is already-encoded JSON.
    static func json(_ data: Data, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A JSON answer encoding `message` canonically.
    static func json(encoding message: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        .json(try WireCoding.encode(message), status: status)
    }
}
