import Hummingbird
import Logging
import NIOHTTP1
import SyncProtocol

/// Turns every error into a JSON ``ErrorBody`` answer, so no client error becomes a bare `500`.
///
/// Client mistakes were already thrown as ``APIError``s by the handlers; Hummingbird's own errors
/// (unknown route, body too large) are translated here; anything else is the server's fault and is
/// logged, then answered `500 internal_error` (or `503 unavailable` when the database is unreachable).
/// A storage backend's driver errors are the backend's business: it names them as ``StorageError``s
/// (``SyncStorage/storageError(for:)``), and this middleware knows no driver.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = SyncRequestContext

    /// The API's route templates, to tell a wrong method (`405`) from an unknown path (`404`).
    let routes: [RouteDescriptor]
    /// The backend whose driver errors may reach a handler.
    let storage: any SyncStorage

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = translate(error, request: request, context: context)
            return try apiError.response(from: request, context: context)
        }
    }

    func translate(_ error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as WireDecodingError:
            return APIError(error.errorBody)
        case let error as StorageError:
            return translate(storage: error, context: context)
        case let error as HTTPParserError:
            // A cut-off or malformed body met while a route read it: the client's fault, never a 500.
            return .malformedRequest(error)
        case let error as any HTTPResponseError:
            switch error.status {
            case .notFound:
                let path = request.uri.path
                let allowed = routes.filter { $0.matches(path: path) }
                if let route = allowed.first {
                    // The route, not the path: a path can carry anything (README §7: never echo the request).
                    var answer = APIError(.methodNotAllowed, "the method is not allowed on \(route.template)")
                    answer.headers[.allow] = allowed.map(\.method).joined(separator: ", ")
                    return answer
                }
                return APIError(.notFound, "no such route")
            case .contentTooLarge:
                return APIError(.payloadTooLarge, "the request body is too large")
            default:
                if error.status.code < 500 {
                    return APIError(
                        ErrorBody(code: .invalidValue, message: "the request was refused (\(error.status.code))"),
                        fallbackStatus: error.status)
                }
                context.logger.error("request failed", metadata: ["error": "\(error)"])
                return .internalError()
            }
        case is CancellationError:
            return .unavailable("the server is shutting down")
        default:
            if let storageError = storage.storageError(for: error) {
                return translate(storage: storageError, context: context)
            }
            context.logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return .internalError()
        }
    }

    func translate(storage error: StorageError, context: Context) -> APIError {
        switch error {
        case .teamNotFound(let team):
            // A member of a team that was since removed: to the device it is simply not its team.
            return .forbiddenTeam(team)
        case .replicaInUse(let replica):
            return APIError(
                .replicaInUse, "replica id '\(replica)' is held by another device; make a new one and enrol again")
        case .invalidEnrolmentCode:
            return APIError(.invalidEnrollmentCode, "the enrolment code is unknown, already used or expired")
        case .invalidPreviousToken:
            return APIError(
                .invalidPreviousToken,
                "previousToken is not the token of a device of this code's adviser; the code was not used up")
        case .backend:
            context.logger.error("storage failed", metadata: ["error": "\(error)"])
            return .unavailable("the database is unavailable")
        default:
            context.logger.error("storage failed", metadata: ["error": "\(error)"])
            return .internalError()
        }
    }
}
