import Foundation

/// Human and JSON output. Human output is aligned columns; `--json` prints one JSON document.
enum Output {
    /// Prints rows as aligned columns under a header; the last column is not padded.
    static func table(_ header: [String], _ rows: [[String]]) {
        guard !rows.isEmpty else { return }
        let all = [header] + rows.map { $0.map { clean($0) } }
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

    /// Prints labelled values one a line, the values aligned `gap` spaces after the longest label (labels differ in
    /// length from one language to another), or after `labelWidth` characters.
    static func fields(_ fields: [(String, String)], gap: Int = 2, labelWidth: Int? = nil) {
        let width = (labelWidth ?? fields.map(\.0.count).max() ?? 0) + gap
        for (label, value) in fields {
            print(label.padding(toLength: width, withPad: " ", startingAt: 0) + value)
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
        let line = clean(text.split(whereSeparator: \.isNewline).first.map(String.init) ?? "")
        return line.count > width ? String(line.prefix(width - 1)) + "…" : line
    }

    /// Text made safe for a terminal: control characters (an escape sequence in a synced note could move the
    /// cursor, retitle the window or hide text) are shown as `^[`-style caret notation or `\u{9B}`, never
    /// sent raw. Newlines and tabs stay when `keepLines` is set, for a note's full text.
    static func clean(_ text: String, keepLines: Bool = false) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if keepLines && (scalar == "\n" || scalar == "\t") || !isControl(scalar) {
                result.append(scalar)
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                result.append(contentsOf: "^".unicodeScalars)
                result.append(Unicode.Scalar(UInt8(scalar.value ^ 0x40)))
            } else {
                result.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            }
        }
        return String(result)
    }

    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }
}
