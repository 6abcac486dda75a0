import Foundation

extension JSONLine {
    /// The hard negatives of a training row in either sentence-transformers layout: `negative` (a
    /// string or a list of strings), or the "n-tuple" columns `negative_1` ... `negative_n` that
    /// `mine_hard_negatives(output_format="n-tuple")` and `embedtune mine` write (strings, numbered
    /// consecutively from 1). A row with both layouts, or a numbered column missing below the highest,
    /// is an error naming the file and line.
    func negatives() throws(TrainingDataError) -> [String] {
        var numbered: [Int: String] = [:]
        for key in object.keys where key.hasPrefix("negative_") {
            guard let number = Int(key.dropFirst("negative_".count)), number >= 1,
                  key == "negative_\(number)" else { continue }
            numbered[number] = key
        }
        guard let highest = numbered.keys.max() else { return try strings("negative") }
        if let value = object["negative"], !(value is NSNull) {
            throw .conflictingNegatives(file: file, line: line, reason: "both \"negative\" and \"negative_1\"... columns")
        }
        var texts: [String] = []
        for number in 1...highest {
            guard numbered[number] != nil else {
                throw .conflictingNegatives(file: file, line: line,
                                            reason: "\"negative_\(number)\" missing below \"negative_\(highest)\"")
            }
            texts.append(try string("negative_\(number)"))
        }
        return texts
    }
}
