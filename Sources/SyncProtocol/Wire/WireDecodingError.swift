import Foundation

/// Why a message body was refused. The HTTP binding answers every one of these with `400`.
///
/// It carries the path of the offending field (`records[2].id`) so that the error body can name it.
public struct WireDecodingError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The family of the failure; each maps to one stable ``ErrorCode``.
    public enum Kind: String, Sendable, Hashable {
        /// Not JSON, or not UTF-8.
        case malformedJSON
        /// A key the message does not define.
        case unknownField
        /// A required key is absent.
        case missingField
        /// A value of the wrong JSON type (including `null` where a value is required).
        case wrongType
        /// A value of the right type but out of range, too long or badly formed.
        case invalidValue
        /// A `protocolVersion` this build does not speak.
        case unsupportedVersion
    }

    /// The family of the failure.
    public var kind: Kind
    /// The path of the offending value, such as `records[2].id`; empty for the whole body.
    public var path: String
    /// What is wrong, for people and logs. Never echoes field contents.
    public var reason: String

    /// Creates an error.
    public init(kind: Kind, path: String, reason: String) {
        self.kind = kind
        self.path = path
        self.reason = reason
    }

    /// The stable error code for this failure.
    public var code: ErrorCode {
        switch kind {
        case .malformedJSON: .malformedJSON
        case .unknownField: .unknownField
        case .missingField: .missingField
        case .wrongType: .wrongType
        case .invalidValue: .invalidValue
        case .unsupportedVersion: .unsupportedVersion
        }
    }

    /// The error body a server sends back for this failure.
    public var errorBody: ErrorBody {
        let index = path.hasPrefix("records[") ? Int(path.dropFirst(8).prefix { $0.isNumber }) : nil
        return ErrorBody(
            code: code, message: description, retryable: false,
            details: path.isEmpty ? nil : ErrorDetails(path: path, index: index)
        )
    }

    /// The reason, after the path of the offending value when there is one (`records[3].clock: …`).
    public var description: String {
        path.isEmpty ? reason : "\(path): \(reason)"
    }
}

extension WireDecodingError {
    /// Translates a `DecodingError` (or one of the validation errors thrown while decoding) into a wire
    /// error with a readable path.
    static func from(_ error: any Error, data: Data? = nil) -> WireDecodingError {
        switch error {
        case let error as WireDecodingError:
            return error
        case let error as WireValueError:
            return WireDecodingError(kind: error.kind, path: renderPath(error.codingPath), reason: error.reason)
        case let DecodingError.keyNotFound(key, context):
            return WireDecodingError(
                kind: .missingField, path: renderPath(context.codingPath + [key]), reason: "required field is missing"
            )
        case let DecodingError.typeMismatch(type, context):
            return WireDecodingError(
                kind: .wrongType, path: renderPath(context.codingPath), reason: "expected \(jsonTypeName(type))"
            )
        case let DecodingError.valueNotFound(type, context):
            return WireDecodingError(
                kind: .wrongType, path: renderPath(context.codingPath),
                reason: "expected \(jsonTypeName(type)), found null"
            )
        case let DecodingError.dataCorrupted(context):
            if let underlying = context.underlyingError as? WireValueError {
                return from(underlying)
            }
            if context.codingPath.isEmpty {
                // Foundation also reports some valid JSON (a number that does not fit its type) this way.
                if let data, (try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])) != nil {
                    return WireDecodingError(kind: .invalidValue, path: "", reason: "a value is out of range")
                }
                return WireDecodingError(kind: .malformedJSON, path: "", reason: "body is not valid JSON")
            }
            return WireDecodingError(
                kind: .invalidValue, path: renderPath(context.codingPath), reason: context.debugDescription
            )
        default:
            // Foundation's own number errors ("not representable") carry no path.
            return WireDecodingError(kind: .invalidValue, path: "", reason: "a value is out of range")
        }
    }

    /// Renders a coding path as `a.b[3].c`.
    static func renderPath(_ path: [any CodingKey]) -> String {
        var text = ""
        for key in path {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                text += text.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return text
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int64.Type, is UInt64.Type, is UInt32.Type, is Int32.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        default:
            String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }
}

/// A validation failure raised inside `init(from:)`; the wire decoder adds it to the path.
struct WireValueError: Error {
    var kind: WireDecodingError.Kind
    var codingPath: [any CodingKey]
    var reason: String
}
