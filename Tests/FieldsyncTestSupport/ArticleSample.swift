import Foundation

/// The Swift sample of a DocC article, checked against the test that compiles it, so the two cannot drift.
///
/// An article (`Sources/<Library>/<Library>.docc/GettingStarted.md`) has one ```` ```swift ```` block; the test
/// file holds the same code. Lines are compared with their indentation trimmed (the test nests the code in a
/// function): every `import` line of the sample must be a line of the test file, and the other lines must
/// appear there in one piece, in order.
///
/// ```swift
/// let sample = try ArticleSample(article: ArticleSample.article("GettingStarted.md", of: "LocalStore"))
/// #expect(try sample.mismatch(inTestFile: URL(fileURLWithPath: #filePath)) == nil)
/// ```
public struct ArticleSample: Sendable {
    /// An article that does not have exactly one Swift sample.
    public struct Problem: Error, CustomStringConvertible {
        /// What is wrong with the article.
        public var description: String
    }

    /// The article the sample was read from.
    public let article: URL
    /// The sample's lines, indentation trimmed, blank lines dropped.
    public let lines: [String]

    /// Reads the article's only ```` ```swift ```` block; throws if it has none or several.
    public init(article: URL) throws {
        self.article = article
        let text = try String(contentsOf: article, encoding: .utf8)
        var blocks: [[String]] = []
        var current: [String]?
        for line in text.components(separatedBy: "\n") {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if current == nil, trimmed == "```swift" {
                current = []
            } else if current != nil, trimmed == "```" {
                blocks.append(current!)
                current = nil
            } else if current != nil {
                current!.append(line)
            }
        }
        guard blocks.count == 1 else {
            throw Problem(description: "\(article.lastPathComponent) has \(blocks.count) swift blocks, expected 1")
        }
        lines = ArticleSample.normalized(blocks[0])
    }

    /// `Sources/<library>/<library>.docc/<name>`, found from this file's place in the package.
    public static func article(_ name: String, of library: String) -> URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // FieldsyncTestSupport
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // the package
            .appendingPathComponent("Sources/\(library)/\(library).docc/\(name)")
    }

    /// Why the test file does not hold the sample (the first line that differs), or `nil` when it does.
    public func mismatch(inTestFile file: URL) throws -> String? {
        let test = ArticleSample.normalized(try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\n"))
        let imports = lines.filter { $0.hasPrefix("import ") }
        let code = lines.filter { !$0.hasPrefix("import ") }
        if let missing = imports.first(where: { !test.contains($0) }) {
            return "\(file.lastPathComponent) lacks the article's '\(missing)'"
        }
        guard let first = code.first else { return nil }
        var best = (matched: 0, differs: first)
        for start in test.indices where test[start] == first {
            var matched = 0
            while matched < code.count, start + matched < test.count, test[start + matched] == code[matched] {
                matched += 1
            }
            if matched == code.count { return nil }
            if matched > best.matched { best = (matched, code[matched]) }
        }
        return "\(file.lastPathComponent) does not hold \(article.lastPathComponent)'s sample: after "
            + "\(best.matched) matching lines, no '\(best.differs)'"
    }

    private static func normalized(_ lines: [String]) -> [String] {
        lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
