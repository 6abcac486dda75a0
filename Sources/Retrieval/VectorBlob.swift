import Foundation

/// The BLOB layouts of the `documents` table: `embedding` is `dimension` little-endian IEEE-754
/// float32 values back to back — the layout sqlite-vec reads, so `vec_distance_cosine(embedding, ?)`
/// works on our files — and `embedding_int8` is `dimension` signed bytes.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        #if _endian(little)
        return vector.withUnsafeBytes { Data($0) }
        #else
        return vector.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
        #endif
    }

    /// Copies `count` float32 values from `blob` into `destination`; false when the byte length differs.
    static func decode(_ blob: Data, count: Int, into destination: UnsafeMutablePointer<Float>) -> Bool {
        guard blob.count == count * 4 else { return false }
        blob.withUnsafeBytes { raw in
            for i in 0..<count {
                destination[i] = Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
        }
        return true
    }

    static func decode(_ blob: Data, count: Int) -> [Float]? {
        var out = [Float](repeating: 0, count: count)
        let ok = out.withUnsafeMutableBufferPointer { decode(blob, count: count, into: $0.baseAddress!) }
        return ok ? out : nil
    }

    static func encode(int8 codes: [Int8]) -> Data { codes.withUnsafeBytes { Data($0) } }

    static func decode(int8 blob: Data, count: Int, into destination: UnsafeMutablePointer<Int8>) -> Bool {
        guard blob.count == count else { return false }
        blob.withUnsafeBytes { raw in
            UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress!, byteCount: count)
        }
        return true
    }
}
