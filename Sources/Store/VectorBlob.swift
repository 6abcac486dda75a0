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
        guard blob.count == count * 4 else { return nil }
        return blob.withUnsafeBytes { raw in
            (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        }
    }

    static func encode(int8 codes: [Int8]) -> Data { codes.withUnsafeBytes { Data($0) } }

    static func decode(int8 blob: Data, count: Int, into destination: UnsafeMutablePointer<Int8>) -> Bool {
        guard blob.count == count else { return false }
        blob.withUnsafeBytes { raw in
            for i in 0..<count { destination[i] = raw.load(fromByteOffset: i, as: Int8.self) }
        }
        return true
    }
}
