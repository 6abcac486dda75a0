import Foundation

/// One JSON object on one line of standard output, keys sorted: the `--json` summaries.
enum JSONRecord {
    static func print(_ record: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys])
        Swift.print(String(decoding: data, as: UTF8.self))
    }
}
