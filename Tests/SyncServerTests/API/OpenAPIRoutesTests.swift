import Foundation
import Hummingbird
import SyncServer
import Testing

/// The routes the router registers and the operations of `protocol-spec/openapi.yaml` must be the same.
@Suite("OpenAPI document and router agree")
struct OpenAPIRoutesTests {
    static var specURL: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("protocol-spec/openapi.yaml")
    }

    /// Reads `METHOD /path` pairs from the `paths:` section: a path is a two-space-indented key starting
    /// with `/`, an operation a four-space-indented HTTP method key under it. Enough YAML for this file.
    static func documentedOperations(_ yaml: String) -> Set<String> {
        let methods: Set<String> = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]
        var operations: Set<String> = []
        var inPaths = false
        var currentPath: String?
        for line in yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if !line.hasPrefix(" ") && !line.isEmpty {
                inPaths = line.hasPrefix("paths:")
                currentPath = nil
                continue
            }
            guard inPaths else { continue }
            let indent = line.prefix { $0 == " " }.count
            let key = line.trimmingCharacters(in: .whitespaces)
            guard key.hasSuffix(":") else { continue }
            let name = String(key.dropLast()).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if indent == 2 {
                currentPath = name.hasPrefix("/") ? name : nil
            } else if indent == 4, let path = currentPath, methods.contains(name) {
                operations.insert("\(name.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func routerAndDocumentListTheSameOperations() throws {
        let yaml = try String(contentsOf: Self.specURL, encoding: .utf8)
        let documented = Self.documentedOperations(yaml)
        #expect(documented.count >= 6, "could not read the paths of \(Self.specURL.path)")

        let directory = try TestEnvironment.makeTemporaryDirectory()
        let storage = try SQLiteStorage(
            path: directory.appendingPathComponent("s.sqlite").path, logger: TestEnvironment.logger)
        let service = SyncService(
            storage: storage, configuration: ServerConfiguration(), logger: TestEnvironment.logger)
        let router = SyncRoutes.makeRouter(service: service)
        let registered = Set(
            router.routes.map { route in
                // Hummingbird writes a capture as `{name}` or `:name` depending on the version: accept both.
                let path = route.path.description.split(separator: "/", omittingEmptySubsequences: false).map { part in
                    part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
                }.joined(separator: "/")
                return "\(route.method.rawValue) \(path.hasPrefix("/") ? path : "/" + path)"
            })
        #expect(
            registered == documented,
            """
            only in router: \(registered.subtracting(documented)); \
            only in document: \(documented.subtracting(registered))
            """
        )
        #expect(Set(RouteDescriptor.all.map(\.description)) == documented)
    }
}
