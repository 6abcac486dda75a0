/// One value for each Linear of a `BertLayer`, looked up by name (`BertLinear`), e.g. the LoRA pair
/// or the packed copy of each. Iterates in `BertLinear.allCases` order (Hugging Face's state-dict order).
public struct BertLinears<Value> {
    public var query: Value
    public var key: Value
    public var value: Value
    public var attentionOutput: Value
    public var intermediate: Value
    public var output: Value

    /// `make` is called once per Linear, in `BertLinear.allCases` order.
    public init(_ make: (BertLinear) throws -> Value) rethrows {
        query = try make(.query)
        key = try make(.key)
        value = try make(.value)
        attentionOutput = try make(.attentionOutput)
        intermediate = try make(.intermediate)
        output = try make(.output)
    }

    public subscript(_ linear: BertLinear) -> Value {
        get {
            switch linear {
            case .query: query
            case .key: key
            case .value: value
            case .attentionOutput: attentionOutput
            case .intermediate: intermediate
            case .output: output
            }
        }
        set {
            switch linear {
            case .query: query = newValue
            case .key: key = newValue
            case .value: value = newValue
            case .attentionOutput: attentionOutput = newValue
            case .intermediate: intermediate = newValue
            case .output: output = newValue
            }
        }
    }
}

extension BertLinears: Sequence {
    public func makeIterator() -> IndexingIterator<[Value]> {
        [query, key, value, attentionOutput, intermediate, output].makeIterator()
    }
}

extension BertLinears: Sendable where Value: Sendable {}
