import Foundation

/// A JSON value whose objects keep their keys in the order written, so the result line always starts with
/// `{"benchmark":"bench-store"` and reads in the order of the table.
indirect enum JSONValue {
    case string(String)
    case number(Double)
    case integer(Int64)
    case bool(Bool)
    case null
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Seconds as milliseconds rounded to microseconds, the unit of every latency in the JSON.
    static func milliseconds(_ seconds: Double) -> JSONValue {
        .number((seconds * 1_000_000).rounded() / 1_000)
    }

    /// A ratio or rate rounded to 3 decimals.
    static func rounded(_ value: Double) -> JSONValue {
        .number((value * 1_000).rounded() / 1_000)
    }

    /// Compact JSON text on one line.
    var text: String {
        switch self {
        case .string(let value): return Self.quoted(value)
        case .number(let value):
            guard value.isFinite else { return "null" }
            if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
            return String(value)
        case .integer(let value): return String(value)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .array(let values): return "[" + values.map(\.text).joined(separator: ",") + "]"
        case .object(let members):
            return "{" + members.map { Self.quoted($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    private static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20: result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
