/// The declaration of one field of a collection.
public struct FieldSpec: Hashable, Sendable, Codable {
    /// The field's name, `[a-z][A-Za-z0-9_]{0,63}`.
    public var name: String
    /// The field's type; it decides how concurrent writes merge.
    public var type: FieldType
    /// Whether a record must have a non-null value for the field when it is created.
    public var required: Bool

    /// Declares a field.
    public init(_ name: String, _ type: FieldType, required: Bool = false) {
        self.name = name
        self.type = type
        self.required = required
    }
}

/// The fields of one collection: what a record of that collection may hold.
///
/// The record model is generic: any app can declare its own collections.
///
/// ```swift
/// let visits = try Schema(collection: "visits", fields: [
///     FieldSpec("place", .string, required: true),
///     FieldSpec("report", .text),
/// ])
/// ```
public struct Schema: Hashable, Sendable, Codable {
    /// The collection's name, `[a-z][A-Za-z0-9_]{0,63}`.
    public let collection: String
    /// The declared fields, in declaration order.
    public let fields: [FieldSpec]

    /// Declares a collection.
    /// - Throws: ``ModelError/invalidCollectionName(_:)``, ``ModelError/invalidFieldName(_:)`` or
    ///   ``ModelError/duplicateField(collection:field:)``.
    public init(collection: String, fields: [FieldSpec]) throws(ModelError) {
        guard Names.isValidName(collection) else { throw .invalidCollectionName(collection) }
        var seen = Set<String>()
        for field in fields {
            guard Names.isValidName(field.name) else { throw .invalidFieldName(field.name) }
            guard seen.insert(field.name).inserted else {
                throw .duplicateField(collection: collection, field: field.name)
            }
        }
        self.collection = collection
        self.fields = fields
    }

    /// The declaration of `name`, if the schema has such a field.
    public subscript(name: String) -> FieldSpec? {
        fields.first { $0.name == name }
    }
}
