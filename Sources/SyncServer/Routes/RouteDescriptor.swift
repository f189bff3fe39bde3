import Hummingbird

/// A route of the API as the OpenAPI document writes it: a method and a path template with `{param}`.
public struct RouteDescriptor: Sendable, Hashable, CustomStringConvertible {
    /// The HTTP method, upper case.
    public var method: String
    /// The path template, e.g. `/v1/teams/{team}/push`.
    public var template: String

    /// Creates a descriptor.
    public init(method: String, template: String) {
        self.method = method
        self.template = template
    }

    /// The template in Hummingbird's syntax (`:team` instead of `{team}`).
    var routerPath: String {
        template.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    /// Whether a concrete path fits the template (any method).
    func matches(path: String) -> Bool {
        let want = template.split(separator: "/", omittingEmptySubsequences: false)
        let have = path.split(separator: "/", omittingEmptySubsequences: false)
        guard want.count == have.count else { return false }
        return zip(want, have).allSatisfy { template, actual in
            (template.hasPrefix("{") && !actual.isEmpty) || template == actual
        }
    }

    /// The method and the path template, e.g. `POST /v1/teams/{team}/push`.
    public var description: String { "\(method) \(template)" }
}

extension RouteDescriptor {
    static let health = RouteDescriptor(method: "GET", template: "/health")
    static let metrics = RouteDescriptor(method: "GET", template: "/metrics")
    static let enroll = RouteDescriptor(method: "POST", template: "/v1/enroll")
    static let hello = RouteDescriptor(method: "POST", template: "/v1/hello")
    static let push = RouteDescriptor(method: "POST", template: "/v1/teams/{team}/push")
    static let pull = RouteDescriptor(method: "GET", template: "/v1/teams/{team}/pull")
    static let devices = RouteDescriptor(method: "GET", template: "/v1/teams/{team}/devices")

    /// Every route the server registers.
    public static let all: [RouteDescriptor] = [.health, .metrics, .enroll, .hello, .push, .pull, .devices]
}
