/// A fixed-capacity min-heap of the best `capacity` (score, index) pairs seen so far.
///
/// Order: a higher score is better; on equal scores the lower index is better (a deterministic
/// tie-break, independent of how rows were split across threads). The root is the worst kept pair,
/// so a candidate enters only when it beats the root.
public struct TopKHeap: Sendable {
    public let capacity: Int
    private(set) var scores: [Float]
    private(set) var indices: [Int]

    public init(capacity: Int) {
        precondition(capacity >= 0, "negative heap capacity")
        self.capacity = capacity
        scores = []
        indices = []
        scores.reserveCapacity(capacity)
        indices.reserveCapacity(capacity)
    }

    public var count: Int { scores.count }
    public var isFull: Bool { scores.count == capacity }

    /// Score of the worst kept pair once full; -infinity before (everything enters).
    @inline(__always) public var threshold: Float { isFull && capacity > 0 ? scores[0] : -.infinity }

    /// True when (s1, i1) ranks below (s2, i2).
    @inline(__always) static func worse(_ s1: Float, _ i1: Int, than s2: Float, _ i2: Int) -> Bool {
        s1 < s2 || (s1 == s2 && i1 > i2)
    }

    /// Offers one candidate.
    @inline(__always)
    public mutating func push(_ score: Float, _ index: Int) {
        if scores.count < capacity {
            scores.append(score)
            indices.append(index)
            siftUp(scores.count - 1)
        } else if capacity > 0 && TopKHeap.worse(scores[0], indices[0], than: score, index) {
            scores[0] = score
            indices[0] = index
            siftDown(0)
        }
    }

    /// Offers every pair of `other`.
    public mutating func merge(_ other: TopKHeap) {
        for j in 0..<other.count { push(other.scores[j], other.indices[j]) }
    }

    /// The kept pairs, best first.
    public func sorted() -> [(index: Int, score: Float)] {
        var out = (0..<count).map { (index: indices[$0], score: scores[$0]) }
        out.sort { TopKHeap.worse($1.score, $1.index, than: $0.score, $0.index) }
        return out
    }

    private mutating func siftUp(_ start: Int) {
        var c = start
        while c > 0 {
            let p = (c - 1) / 2
            guard TopKHeap.worse(scores[c], indices[c], than: scores[p], indices[p]) else { break }
            scores.swapAt(c, p)
            indices.swapAt(c, p)
            c = p
        }
    }

    private mutating func siftDown(_ start: Int) {
        var p = start
        let n = scores.count
        while true {
            let l = 2 * p + 1, r = l + 1
            var w = p
            if l < n && TopKHeap.worse(scores[l], indices[l], than: scores[w], indices[w]) { w = l }
            if r < n && TopKHeap.worse(scores[r], indices[r], than: scores[w], indices[w]) { w = r }
            if w == p { return }
            scores.swapAt(p, w)
            indices.swapAt(p, w)
            p = w
        }
    }
}
