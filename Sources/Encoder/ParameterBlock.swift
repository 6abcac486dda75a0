import Tensor

/// Every parameter of a model in one flat buffer, with named views in a fixed order (llm.c style): one
/// loop updates them all in AdamW, and gradients and optimizer moments are blocks of the same layout.
public final class ParameterBlock: @unchecked Sendable {
    public struct Entry: Sendable, Equatable {
        public let name: String
        public let shape: [Int]
        public let offset: Int
        public var count: Int { shape.reduce(1, *) }
    }

    public let entries: [Entry]
    public let storage: Tensor
    private let index: [String: Int]

    /// A zeroed block holding tensors of the given names and shapes, in that order.
    public init(layout: [(name: String, shape: [Int])]) {
        var entries: [Entry] = []
        var offset = 0
        for (name, shape) in layout {
            entries.append(Entry(name: name, shape: shape, offset: offset))
            // Start every tensor on a 64-byte boundary so SIMD loads within it stay aligned.
            offset += (shape.reduce(1, *) + 15) / 16 * 16
        }
        self.entries = entries
        self.storage = Tensor(zeros: [offset])
        var index: [String: Int] = [:]
        for (i, e) in entries.enumerated() { index[e.name] = i }
        self.index = index
    }

    /// A zeroed block with the same layout (gradients, optimizer moments).
    public func zerosLike() -> ParameterBlock {
        ParameterBlock(layout: entries.map { ($0.name, $0.shape) })
    }

    public func entry(_ name: String) -> Entry? { index[name].map { entries[$0] } }

    /// The storage of the named tensor. The name must be part of the layout.
    public func pointer(_ name: String) -> UnsafeMutablePointer<Float> {
        guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
        return storage.pointer + entries[i].offset
    }

    public func buffer(_ name: String) -> UnsafeMutableBufferPointer<Float> {
        guard let i = index[name] else { preconditionFailure("no parameter named \(name)") }
        return UnsafeMutableBufferPointer(start: storage.pointer + entries[i].offset, count: entries[i].count)
    }

    /// Total number of scalar parameters (padding excluded).
    public var parameterCount: Int { entries.reduce(0) { $0 + $1.count } }

    public func zero() { storage.zero() }

    /// Copies every value from a block of the same layout.
    public func copy(from other: ParameterBlock) {
        precondition(other.entries == entries, "parameter layouts differ")
        storage.pointer.update(from: other.storage.pointer, count: storage.count)
    }
}
