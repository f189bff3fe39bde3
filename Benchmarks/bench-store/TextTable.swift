/// A plain-text table: the first columns left-aligned (names), the rest right-aligned (figures).
struct TextTable {
    var header: [String]
    var rows: [[String]] = []
    /// How many leading columns hold text rather than figures.
    var textColumns = 2

    init(header: [String], textColumns: Int = 2) {
        self.header = header
        self.textColumns = textColumns
    }

    mutating func add(_ row: [String]) {
        rows.append(row)
    }

    var rendered: String {
        let all = [header] + rows
        let columns = all.map(\.count).max() ?? 0
        var widths = [Int](repeating: 0, count: columns)
        for row in all {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
        }
        func line(_ row: [String]) -> String {
            var cells: [String] = []
            for index in 0..<columns {
                let cell = index < row.count ? row[index] : ""
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                cells.append(index < textColumns ? cell + padding : padding + cell)
            }
            var text = cells.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * max(0, columns - 1))
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
    }
}

/// Number formatting for the table.
enum Format {
    /// Milliseconds from seconds, with precision that suits the size.
    static func milliseconds(_ seconds: Double) -> String {
        let value = seconds * 1_000
        switch value {
        case ..<1: return String(format: "%.3f", value)
        case ..<100: return String(format: "%.2f", value)
        default: return String(format: "%.1f", value)
        }
    }

    /// A whole number with thousands separators.
    static func count(_ value: Double) -> String {
        let digits = String(Int64(value.rounded()))
        var result = ""
        for (index, character) in digits.reversed().enumerated() {
            if index > 0, index % 3 == 0, character != "-" { result.append(",") }
            result.append(character)
        }
        return String(result.reversed())
    }

    static func ratio(_ value: Double) -> String {
        value.isFinite ? String(format: "%.2f×", value) : "n/a"
    }

    static func mebibytes(_ bytes: Int64) -> String {
        String(format: "%.1f", Double(bytes) / 1_048_576)
    }
}
