/// `ModelFingerprint.hash` fed in pieces: the same value for the same bytes however they are cut, so
/// that weights can be hashed where they lie (a file mapping, several buffers), in the order and with
/// the padding of the flat parameter block, without building that block. The length is part of the
/// hash, so the total is given up front.
///
/// The hash reads 8-byte little-endian words, word i into lane i % 2, each lane through the
/// multiply–xorshift `mix`; the last `byteCount % 8` bytes fold into a tail word.
struct WeightsHasher {
    private var h0: UInt64
    private var h1: UInt64
    /// Whole words absorbed so far (the next word's lane is its parity).
    private var words = 0
    /// Bytes of the word being completed, the first in the lowest byte, and how many.
    private var partial: UInt64 = 0
    private var partialCount = 0
    private var remaining: Int

    static let defaultSeed: UInt64 = 0x243F_6A88_85A3_08D3

    init(byteCount: Int, seed: UInt64 = WeightsHasher.defaultSeed) {
        precondition(byteCount >= 0, "negative byte count")
        h0 = seed ^ UInt64(byteCount)
        h1 = seed &* 0x9E37_79B9_7F4A_7C15
        remaining = byteCount
    }

    /// Absorbs the next bytes.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count <= remaining, "more bytes than the hasher was told")
        remaining -= bytes.count
        var offset = 0
        // Complete a word begun by an earlier call.
        while partialCount > 0 && partialCount < 8 && offset < bytes.count {
            partial |= UInt64(bytes[offset]) << (8 * partialCount)
            partialCount += 1
            offset += 1
        }
        if partialCount == 8 {
            absorb(partial)
            partial = 0
            partialCount = 0
        }
        // Whole words: one to reach lane 0, then pairs, then one more if left.
        if words % 2 == 1 && bytes.count - offset >= 8 {
            absorb(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        var a = h0, b = h1
        while bytes.count - offset >= 16 {
            a = WeightsHasher.mix(a ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            b = WeightsHasher.mix(b ^ bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            offset += 16
            words += 2
        }
        h0 = a
        h1 = b
        if bytes.count - offset >= 8 {
            absorb(bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            offset += 8
        }
        // Start the next word (only when the previous one is complete: partialCount is 0 here).
        while offset < bytes.count {
            partial |= UInt64(bytes[offset]) << (8 * partialCount)
            partialCount += 1
            offset += 1
        }
    }

    /// Absorbs `count` zero bytes (the block's padding).
    mutating func updateZeros(count: Int) {
        let zeros = [UInt8](repeating: 0, count: Swift.min(count, 4096))
        var left = count
        zeros.withUnsafeBytes { chunk in
            while left > 0 {
                let n = Swift.min(left, chunk.count)
                update(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                left -= n
            }
        }
    }

    /// The hash; every byte announced to `init` must have been absorbed.
    func finalize() -> UInt64 {
        precondition(remaining == 0, "\(remaining) bytes announced but not hashed")
        // The bytes after the last whole word, first byte most significant (as `hash` always did).
        var tail: UInt64 = 0
        for j in 0..<partialCount { tail = tail << 8 | (partial >> (8 * j) & 0xFF) }
        return WeightsHasher.mix(WeightsHasher.mix(h0 ^ tail) ^ h1)
    }

    private mutating func absorb(_ word: UInt64) {
        if words % 2 == 0 { h0 = WeightsHasher.mix(h0 ^ word) } else { h1 = WeightsHasher.mix(h1 ^ word) }
        words += 1
    }

    @inline(__always) static func mix(_ x: UInt64) -> UInt64 {
        var z = x &* 0xBF58_476D_1CE4_E5B9
        z ^= z >> 31
        z = z &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 29)
    }
}
