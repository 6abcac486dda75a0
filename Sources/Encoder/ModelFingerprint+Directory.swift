/// A fingerprint from a model directory's settings and a weights hash, computed or recorded.
extension ModelFingerprint {
    /// The fingerprint of weights hashing to `weightsHash` under `directory`'s pooling, normalisation and
    /// maximum length, for a model of `dimension` values truncated to `truncation` (nil: untruncated),
    /// its products in `precision`.
    public init(
        directory: ModelDirectory, dimension: Int, truncation: Int?, weightsHash: UInt64,
        precision: InferencePrecision = .fp32
    ) {
        self.init(
            weightsHash: weightsHash, pooling: directory.pooling.rawValue, normalize: directory.normalize,
            maxLength: directory.maxSequenceLength, dimension: dimension, truncation: truncation, precision: precision)
    }

    /// The weights hash of a recorded fingerprint (`description`'s `w<16 hex digits>` prefix).
    public static func weightsHash(in description: String) -> UInt64? {
        let utf8 = Array(description.utf8)
        guard utf8.count >= 18, utf8[0] == UInt8(ascii: "w"), utf8[17] == UInt8(ascii: "-") else { return nil }
        return UInt64(String(decoding: utf8[1..<17], as: UTF8.self), radix: 16)
    }

    /// The precision of a recorded fingerprint (`description`'s last part, `bf16` or `int8`; fp32
    /// when there is none).
    public static func precision(in description: String) -> InferencePrecision {
        let last = description.split(separator: "-").last.map(String.init) ?? ""
        return InferencePrecision(rawValue: last).flatMap { $0 == .fp32 ? nil : $0 } ?? .fp32
    }
}

extension SentenceEncoder {
    /// This encoder's fingerprint had its weights hashed to `weightsHash` (a hash recorded for
    /// unchanged weight files, see `WeightsStamp`).
    public func fingerprint(weightsHash: UInt64) -> ModelFingerprint {
        ModelFingerprint(
            directory: directory, dimension: modelDimension, truncation: truncation?.dimensions, weightsHash: weightsHash,
            precision: model.precision)
    }
}
