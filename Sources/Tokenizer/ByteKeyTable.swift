/// An immutable open-addressing hash table from UTF-8 byte strings to token ids, so that WordPiece can look
/// up a slice of a word without building a `String` for each candidate.
///
/// Keys are hashed with 64-bit FNV-1a, which can be extended one byte at a time: WordPiece hashes every
/// prefix of the remaining word in one forward pass and then probes from the longest down.
/// Thread safety: the memory is written only in `init` and freed in `deinit`, hence `@unchecked Sendable`.
final class ByteKeyTable: @unchecked Sendable {
    private struct Slot {
        var hash: UInt64
        var offset: UInt32  // into `pool`
        var length: UInt32
        var id: Int32  // -1: empty
    }

    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x0000_0100_0000_01b3

    /// The longest key, in bytes: no longer slice can match.
    let maxKeyLength: Int
    let count: Int
    private let pool: UnsafeMutableBufferPointer<UInt8>
    private let slots: UnsafeMutableBufferPointer<Slot>
    private let mask: Int

    @inline(__always)
    static func extend(_ hash: UInt64, _ byte: UInt8) -> UInt64 {
        (hash ^ UInt64(byte)) &* prime
    }

    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        bytes.reduce(offsetBasis) { extend($0, $1) }
    }

    /// `entries`: (key bytes, id). A key given twice keeps the later id, like a Python dict built in order.
    init(_ entries: [(key: [UInt8], id: Int32)]) {
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        let mask = capacity - 1
        let slots = UnsafeMutableBufferPointer<Slot>.allocate(capacity: capacity)
        slots.initialize(repeating: Slot(hash: 0, offset: 0, length: 0, id: -1))
        let pool = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(1, entries.reduce(0) { $0 + $1.key.count }))
        var used = 0
        var longest = 0
        var distinct = 0
        for (key, id) in entries {
            let h = Self.hash(key)
            var i = Int(truncatingIfNeeded: h ^ (h >> 29)) & mask
            while slots[i].id >= 0 {
                let s = slots[i]
                if s.hash == h && Int(s.length) == key.count
                    && (0..<key.count).allSatisfy({ pool[Int(s.offset) + $0] == key[$0] }) {
                    break
                }
                i = (i + 1) & mask
            }
            if slots[i].id >= 0 {
                slots[i].id = id  // duplicate key: the later id wins
                continue
            }
            for (j, b) in key.enumerated() { pool[used + j] = b }
            slots[i] = Slot(hash: h, offset: UInt32(used), length: UInt32(key.count), id: id)
            used += key.count
            longest = max(longest, key.count)
            distinct += 1
        }
        self.mask = mask
        self.slots = slots
        self.pool = pool
        maxKeyLength = longest
        count = distinct
    }

    deinit {
        pool.deallocate()
        slots.deallocate()
    }

    /// The id of `bytes[0..<length]` whose FNV-1a hash is `hash`, or -1.
    @inline(__always)
    func find(_ bytes: UnsafePointer<UInt8>, length: Int, hash: UInt64) -> Int32 {
        var i = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        while true {
            let s = slots[i]
            if s.id < 0 { return -1 }
            if s.hash == hash && Int(s.length) == length {
                if memcmpEqual(pool.baseAddress.unsafelyUnwrapped + Int(s.offset), bytes, length) { return s.id }
            }
            i = (i + 1) & mask
        }
    }

    @inline(__always)
    private func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var k = 0
        while k < n {
            if a[k] != b[k] { return false }
            k += 1
        }
        return true
    }

    /// Convenience lookup (tests, loading).
    func find(_ key: [UInt8]) -> Int32 {
        key.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                var empty: UInt8 = 0
                return find(&empty, length: 0, hash: Self.offsetBasis)
            }
            return find(base, length: buffer.count, hash: Self.hash(key))
        }
    }
}
