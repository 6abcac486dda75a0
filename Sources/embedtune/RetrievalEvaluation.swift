import Encoder
import Foundation

/// Placeholder until the retrieval evaluation lands.
enum RetrievalEvaluation {
    static func evaluator(directory: String, split: String, threads: Int) throws -> (SentenceEncoder) throws -> [String: Double] {
        throw ValidationErrorText("--eval-data is not available yet")
    }
}
struct ValidationErrorText: Error { let message: String; init(_ m: String) { message = m } }
