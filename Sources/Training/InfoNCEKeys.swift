/// Text identities of one batch, for masking in-batch false negatives out of the InfoNCE
/// denominator. Equal keys mean identical texts; the numbers themselves carry no meaning.
///
/// Glossary: B = pairs in the batch, H = hard-negative columns.
public struct InfoNCEKeys: Sendable, Equatable {
    /// (B) key of each pair's anchor text.
    public var anchors: [Int]
    /// (B) key of each pair's positive text.
    public var positives: [Int]
    /// (H, B) key of each pair's hard negative, one array per negative column.
    public var negatives: [[Int]]

    public init(anchors: [Int], positives: [Int], negatives: [[Int]] = []) {
        precondition(anchors.count == positives.count, "\(anchors.count) anchor keys for \(positives.count) positive keys")
        precondition(negatives.allSatisfy { $0.count == anchors.count }, "every negative column needs \(anchors.count) keys")
        self.anchors = anchors
        self.positives = positives
        self.negatives = negatives
    }

    /// Whether candidate `j` of candidate column `column` (0 = positives, 1... = negative columns)
    /// is a false negative for anchor `i`, and so is left out of anchor `i`'s softmax:
    /// - its text is identical to anchor `i`'s own positive, or
    /// - it is the positive of another pair with the same anchor text (in column 0 only: a hard
    ///   negative written for the same anchor stays a negative).
    /// The target itself (column 0, j == i) is never masked.
    public func masksForward(anchor i: Int, column: Int, candidate j: Int) -> Bool {
        if column == 0 {
            if j == i { return false }
            return positives[j] == positives[i] || anchors[j] == anchors[i]
        }
        return negatives[column - 1][j] == positives[i]
    }

    /// Whether anchor `j` is masked out of positive `i`'s softmax in the symmetric (positive → anchor)
    /// direction: pair `j` shares pair `i`'s anchor text or positive text. The same relation as
    /// column 0 of `masksForward`, read from the positive's side.
    public func masksBackward(positive i: Int, anchor j: Int) -> Bool {
        if j == i { return false }
        return anchors[j] == anchors[i] || positives[j] == positives[i]
    }
}
