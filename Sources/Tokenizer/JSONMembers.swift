/// The members of a JSON object in document order, repeated keys included. A key looks up its LAST
/// value (a repeated key keeps its last value, as in Foundation and Python); `dictionary` gives the
/// same view as a dictionary. Kept as a list because the objects of a tokenizer file are either tiny
/// (a linear lookup is cheapest) or one large vocabulary that is only walked in order: hashing its
/// tens of thousands of keys into a dictionary was a fifth of a one-line `embed`'s start-up.
struct JSONMembers: Equatable, ExpressibleByDictionaryLiteral {
    let entries: [(key: String, value: JSONValue)]

    init(_ entries: [(key: String, value: JSONValue)]) { self.entries = entries }
    init(dictionaryLiteral elements: (String, JSONValue)...) { entries = elements.map { (key: $0.0, value: $0.1) } }

    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// The last value of `key`, or nil.
    subscript(key: String) -> JSONValue? {
        entries.last(where: { $0.key == key })?.value
    }

    /// Every key with its last value.
    var dictionary: [String: JSONValue] {
        var result = [String: JSONValue](minimumCapacity: entries.count)
        for (key, value) in entries { result[key] = value }
        return result
    }

    /// Equal when they hold the same keys with the same last values, in any order.
    static func == (a: JSONMembers, b: JSONMembers) -> Bool { a.dictionary == b.dictionary }
}
