/// The document ids of a `VectorMatrix`, one per row: an array, or (for a memory-mapped
/// `VectorIndexFile`) offsets into a block of UTF-8 bytes, decoded only for the rows asked for — a
/// million ids are never turned into strings to answer one query.
public struct RowIDs: RandomAccessCollection, Sendable {
    private enum Storage: @unchecked Sendable {
        case array([String])
        /// (count + 1) byte offsets, non-decreasing, into `bytes` (`length` bytes); `owner` keeps the
        /// memory alive.
        case mapped(offsets: UnsafePointer<UInt64>, bytes: UnsafePointer<UInt8>, length: Int, count: Int, owner: AnyObject)
    }

    private let storage: Storage

    public init(_ ids: [String]) { storage = .array(ids) }

    /// Ids stored as `offsets[i]..<offsets[i + 1]` of `bytes`. An offset out of order or past
    /// `length` (a damaged file) reads as an empty id instead of out of bounds.
    init(offsets: UnsafePointer<UInt64>, bytes: UnsafePointer<UInt8>, length: Int, count: Int, owner: AnyObject) {
        storage = .mapped(offsets: offsets, bytes: bytes, length: length, count: count, owner: owner)
    }

    public var startIndex: Int { 0 }

    public var endIndex: Int {
        switch storage {
        case .array(let ids): ids.count
        case .mapped(_, _, _, let count, _): count
        }
    }

    public subscript(i: Int) -> String {
        switch storage {
        case .array(let ids):
            return ids[i]
        case .mapped(let offsets, let bytes, let length, let count, _):
            precondition(i >= 0 && i < count, "row \(i) out of 0..<\(count)")
            let lo = UInt64(littleEndian: offsets[i]), hi = UInt64(littleEndian: offsets[i + 1])
            guard lo <= hi, hi <= UInt64(length) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: bytes + Int(lo), count: Int(hi - lo)), as: UTF8.self)
        }
    }
}
