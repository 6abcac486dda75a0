/// Hugging Face's BERT post-processing (`tokenizers/src/processors/bert.rs`, or the equivalent
/// `TemplateProcessing` "[CLS] $A [SEP]" / "[CLS] $A [SEP] $B:1 [SEP]:1") and the truncation that
/// precedes it (`tokenizers/src/utils/truncation.rs`, strategy `longest_first`, stride 0, right side).
public struct BertPostProcessor: Sendable, Equatable {
    public var clsId: Int32
    public var sepId: Int32

    public init(clsId: Int32, sepId: Int32) {
        self.clsId = clsId
        self.sepId = sepId
    }

    /// Special tokens added around a single sequence ([CLS], [SEP]) and a pair ([CLS], [SEP], [SEP]).
    public static let addedForSingle = 2
    public static let addedForPair = 3

    /// How many tokens of each sequence `longest_first` keeps when the pair, special tokens included,
    /// must fit in `maxLength`: the shorter one is kept whole if it fits in half, otherwise both get half
    /// (the odd token going to the longer one).
    public static func pairLengths(_ lengthA: Int, _ lengthB: Int, maxLength: Int) -> (Int, Int) {
        let budget = max(0, maxLength - addedForPair)
        guard lengthA + lengthB > budget else { return (lengthA, lengthB) }
        let swapped = lengthA > lengthB
        var short = swapped ? lengthB : lengthA
        var long: Int
        if short > budget {
            long = short
        } else {
            long = max(short, budget - short)
        }
        if short + long > budget {
            short = budget / 2
            long = short + budget % 2
        }
        let keepA = swapped ? long : short
        let keepB = swapped ? short : long
        return (min(lengthA, keepA), min(lengthB, keepB))
    }
}
