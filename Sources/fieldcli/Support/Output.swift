import Foundation

/// Human and JSON output. Human output is aligned columns; `--json` prints one JSON document.
enum Output {
    /// Prints rows as aligned columns under a header; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) {
        guard !rows.isEmpty else { return }
        let all = [header] + rows
        var widths = [Int](repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        for row in all {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            print(cells.joined(separator: "  "))
        }
    }

    /// Prints a value as pretty, key-sorted JSON with ISO-8601 dates.
    static func json<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(value)
        print(String(decoding: data, as: UTF8.self))
    }

    /// The first line of a text, shortened to `width` characters.
    static func summary(_ text: String, width: Int = 60) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }
}
