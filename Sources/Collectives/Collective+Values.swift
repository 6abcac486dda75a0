import Foundation

extension Collective {
    /// Rank `root`'s floats, into `buffer` on every rank (the count must agree).
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int = 0, label: String) throws(CollectiveError) {
        try broadcast(UnsafeMutableRawBufferPointer(buffer), root: root, label: label)
    }

    /// Rank `root`'s value on every rank, sent as JSON: first its length, then its bytes. Other ranks'
    /// `value` is ignored.
    public func broadcast<Value: Codable>(_ value: Value, root: Int = 0, label: String) throws(CollectiveError) -> Value {
        guard size > 1 else { return value }
        var bytes = [UInt8]()
        if rank == root {
            do { bytes = Array(try JSONEncoder().encode(value)) } catch {
                throw .disagreement("cannot encode \(label) to send it to the other ranks: \(error)")
            }
        }
        var length = Int64(bytes.count)
        try withUnsafeMutableBytes(of: &length) { (raw) throws(CollectiveError) in
            try broadcast(raw, root: root, label: label)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Int(length), alignment: 1)
        defer { buffer.deallocate() }
        if rank == root { bytes.withUnsafeBytes { buffer.copyMemory(from: $0) } }
        try broadcast(buffer, root: root, label: label)
        do { return try JSONDecoder().decode(Value.self, from: Data(buffer)) } catch {
            throw .disagreement("cannot decode \(label) received from rank \(root): \(error)")
        }
    }
}
