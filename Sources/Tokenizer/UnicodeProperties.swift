import CUtf8proc

/// The character classes of Hugging Face's BERT normalizer and pre-tokenizer
/// (`tokenizers/src/normalizers/bert.rs`, `pre_tokenizers/bert.rs`), answered by utf8proc and corrected by
/// `UnicodeExceptions` where `tokenizers`' older/newer Unicode tables disagree with utf8proc's.
enum UnicodeProperties {
    @inline(__always)
    static func category(_ c: UInt32) -> UInt32 {
        utf8proc_category(Int32(bitPattern: c)).rawValue
    }

    /// Rust's `char::is_whitespace` (Unicode White_Space), which `bert.rs` also applies to \t \n \r.
    @inline(__always)
    static func isWhitespace(_ c: UInt32) -> Bool {
        if c < 0x80 { return c == 0x20 || (c >= 0x09 && c <= 0x0D) }
        return contains(UnicodeExceptions.whitespace, c)
    }

    /// `bert.rs` `is_control`: categories Cc, Cf, Co, Cs of the `unicode_categories` crate, except \t \n \r.
    @inline(__always)
    static func isControl(_ c: UInt32) -> Bool {
        if c == 0x09 || c == 0x0A || c == 0x0D { return false }
        if c < 0x80 { return c < 0x20 || c == 0x7F }
        let cat = category(c)
        let utf8procSays = cat == UTF8PROC_CATEGORY_CC.rawValue || cat == UTF8PROC_CATEGORY_CF.rawValue
            || cat == UTF8PROC_CATEGORY_CO.rawValue || cat == UTF8PROC_CATEGORY_CS.rawValue
        return utf8procSays != contains(UnicodeExceptions.controlFlip, c)
    }

    /// `pre_tokenizers/bert.rs` `is_bert_punc`: ASCII punctuation or a Unicode P* category.
    @inline(__always)
    static func isPunctuation(_ c: UInt32) -> Bool {
        if c < 0x80 {
            return (c >= 0x21 && c <= 0x2F) || (c >= 0x3A && c <= 0x40) || (c >= 0x5B && c <= 0x60)
                || (c >= 0x7B && c <= 0x7E)
        }
        let cat = category(c)
        let utf8procSays = cat >= UTF8PROC_CATEGORY_PC.rawValue && cat <= UTF8PROC_CATEGORY_PO.rawValue
        return utf8procSays != contains(UnicodeExceptions.punctuationFlip, c)
    }

    /// Category Mn, the marks `strip_accents` removes after NFD.
    @inline(__always)
    static func isNonspacingMark(_ c: UInt32) -> Bool {
        if c < 0x300 { return false }
        let utf8procSays = category(c) == UTF8PROC_CATEGORY_MN.rawValue
        return utf8procSays != contains(UnicodeExceptions.nonspacingMarkFlip, c)
    }

    /// `bert.rs` `is_chinese_char`: the CJK ideograph blocks Hugging Face lists (note the gap 2B820–2B91F,
    /// which it leaves out).
    @inline(__always)
    static func isChinese(_ c: UInt32) -> Bool {
        switch c {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F,
            0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Canonical combining class (for the canonical reordering step of NFD).
    @inline(__always)
    static func combiningClass(_ c: UInt32) -> Int {
        if c < 0x300 { return 0 }
        return Int(utf8proc_get_property(Int32(bitPattern: c)).pointee.combining_class)
    }

    /// Appends Rust's `char::to_lowercase(c)` (which may expand: U+0130 → "i\u{307}").
    @inline(__always)
    static func appendLowercase(_ c: UInt32, to body: (UInt32) -> Void) {
        if c < 0x80 {
            body(c >= 0x41 && c <= 0x5A ? c + 0x20 : c)
            return
        }
        if let special = UnicodeExceptions.lowercase[c] {
            for s in special { body(s) }
            return
        }
        body(UInt32(bitPattern: utf8proc_tolower(Int32(bitPattern: c))))
    }

    /// Appends the canonical decomposition (NFD, before reordering) of `c`, as the
    /// `unicode-normalization` crate `tokenizers` uses; Hangul syllables decompose into jamo.
    @inline(__always)
    static func decompose(_ c: UInt32, to body: (UInt32) -> Void) {
        if c < 0xC0 {
            body(c)
            return
        }
        if let special = UnicodeExceptions.strippedDecomposition[c] {
            for s in special { body(s) }
            return
        }
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 8) { buffer in
            var last: Int32 = 0
            let n = utf8proc_decompose_char(
                Int32(bitPattern: c), buffer.baseAddress, 8, UTF8PROC_DECOMPOSE, &last)
            if n < 0 || n > 8 {
                body(c)  // cannot happen for a valid scalar: canonical decompositions are at most 4 long
                return
            }
            for i in 0..<n { body(UInt32(bitPattern: buffer[i])) }
        }
    }

    /// Binary search in sorted, disjoint ranges.
    @inline(__always)
    static func contains(_ ranges: [ClosedRange<UInt32>], _ c: UInt32) -> Bool {
        var low = 0
        var high = ranges.count
        while low < high {
            let mid = (low + high) >> 1
            if ranges[mid].upperBound < c {
                low = mid + 1
            } else if ranges[mid].lowerBound > c {
                high = mid
            } else {
                return true
            }
        }
        return false
    }
}
