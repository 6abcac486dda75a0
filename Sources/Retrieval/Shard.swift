/// Which documents of the input one encode run takes: `--shard i/n` keeps the valid documents whose
/// 0-based position in the input is `i` modulo `n`, so n runs (on n machines) split a corpus.
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let count: Int

    public init?(index: Int, count: Int) {
        guard count > 0, index >= 0, index < count else { return nil }
        self.index = index
        self.count = count
    }

    /// "i/n" with 0 <= i < n; nil for anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else { return nil }
        self.init(index: i, count: n)
    }

    public func contains(position: Int) -> Bool { position % count == index }

    public var description: String { "\(index)/\(count)" }
}
