import Encoder
import Foundation
import Retrieval

/// Writes mined rows as JSON lines in sentence-transformers' n-tuple format,
/// `{"anchor":...,"positive":...,"negative_1":...,...,"negative_n":...}` (and `"scores":[...]` when
/// asked), through `AtomicFileWriter`: the destination holds the old file or the complete new one.
enum MinedRowsFile {
    static func write(_ rows: [MinedRow], numNegatives: Int, scores: Bool, to url: URL) throws {
        let writer = try AtomicFileWriter(destination: url)
        let keys = (1...numNegatives).map { Array(",\"negative_\($0)\":".utf8) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(1 << 17)
        for row in rows {
            bytes += Array("{\"anchor\":".utf8)
            JSONStringLiteral.append(row.anchor, to: &bytes)
            bytes += Array(",\"positive\":".utf8)
            JSONStringLiteral.append(row.positive, to: &bytes)
            for (key, negative) in zip(keys, row.negatives) {
                bytes += key
                JSONStringLiteral.append(negative, to: &bytes)
            }
            if scores {
                bytes += Array(",\"scores\":[".utf8)
                bytes += Array(row.scores.map(\.description).joined(separator: ",").utf8)
                bytes.append(UInt8(ascii: "]"))
            }
            bytes += Array("}\n".utf8)
            if bytes.count >= 1 << 16 {
                try writer.write(bytes)
                bytes.removeAll(keepingCapacity: true)
            }
        }
        try writer.write(bytes)
        try writer.commit()
    }
}
