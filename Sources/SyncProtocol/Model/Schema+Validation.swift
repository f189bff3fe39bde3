extension Schema {
    /// Checks values about to be written: every field is declared, every non-null value has
    /// the declared type and fits the limits, and (with `requireAll`) every required field
    /// has a non-null value.
    public func validate(_ values: [String: FieldValue], requireAll: Bool = false) throws(ModelError) {
        for name in values.keys.sortedByBytes() {
            guard let spec = self[name] else { throw .unknownField(collection: collection, field: name) }
            try check(values[name]!, for: spec)
        }
        if requireAll {
            for spec in fields where spec.required && (values[spec.name] ?? .null) == .null {
                throw .missingRequiredField(collection: collection, field: spec.name)
            }
        }
    }

    /// Checks a stored or received record against the schema: its collection, every field it
    /// holds (declared, right type and size, tags only in tag fields), and its structure
    /// (see ``Record/validateStructure()``). Servers call this before merging a pushed record.
    public func validate(_ record: Record) throws(ModelError) {
        guard record.collection == collection else {
            throw .collectionMismatch(expected: collection, found: record.collection)
        }
        try record.validateStructure()
        for (name, writes) in record.registers {
            guard let spec = self[name] else { throw .unknownField(collection: collection, field: name) }
            guard spec.type.isRegister else {
                throw .malformedRecord(record: record.id, reason: "tag field '\(name)' holds register writes")
            }
            for write in writes { try check(write.value, for: spec) }
        }
        for (name, elements) in record.tagSets {
            guard let spec = self[name] else { throw .unknownField(collection: collection, field: name) }
            guard spec.type == .tags else {
                throw .wrongType(collection: collection, field: name, expected: spec.type, found: .tags)
            }
            try check(.tags(Set(elements.keys)), for: spec)
        }
        // A record that is not purged holds a non-null live write of every required field (merge.md, Schemas):
        // creation writes them all and an update never clears one, and a merge of two such states keeps one.
        guard !record.isPurged else { return }
        for spec in fields where spec.required && spec.type.isRegister {
            guard record.registers[spec.name]?.contains(where: { $0.value != .null }) == true else {
                throw .missingRequiredField(collection: collection, field: spec.name)
            }
        }
    }

    func check(_ value: FieldValue, for spec: FieldSpec) throws(ModelError) {
        guard let type = value.type else { return }
        guard type == spec.type else {
            throw .wrongType(collection: collection, field: spec.name, expected: spec.type, found: type)
        }
        try value.checkLimits(field: spec.name)
    }
}

extension FieldValue {
    /// Checks sizes and ranges that hold whatever the schema.
    func checkLimits(field: String) throws(ModelError) {
        switch self {
        case .text(let text), .string(let text):
            guard text.utf8.count <= ProtocolLimits.maxValueBytes else {
                throw .valueTooLarge(field: field, bytes: text.utf8.count)
            }
        case .reference(let id):
            guard Names.isValidRecordID(id) else { throw .invalidRecordID(id) }
        case .integer(let value):
            guard value.magnitude <= FieldValue.maxInteger.magnitude else {
                throw .valueTooLarge(field: field, bytes: 8)
            }
        case .timestamp(let value):
            // Milliseconds since 1970, within ±(2^53 - 1) like every integer of the protocol (README §8).
            guard value.millisecondsSince1970.magnitude <= FieldValue.maxInteger.magnitude else {
                throw .valueTooLarge(field: field, bytes: 8)
            }
        case .tags(let tags):
            guard tags.count <= ProtocolLimits.maxTags else {
                throw .valueTooLarge(field: field, bytes: tags.count)
            }
            for tag in tags where tag.isEmpty || tag.utf8.count > ProtocolLimits.maxTagBytes {
                throw .invalidTag(field: field, tag: tag)
            }
        case .decimal, .bool, .null:
            break
        }
    }
}
