import Foundation

/// Fixtures written by scripts/reference/training_fixtures.py.
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func json<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func reference() throws -> TrainingReference { try json("training_reference.json", as: TrainingReference.self) }
}

struct TrainingReference: Decodable {
    struct Keys: Decodable { let anchors: [Int]; let positives: [Int]; let negatives: [[Int]] }
    struct LossCase: Decodable {
        let name: String
        let scale: Float
        let symmetric: Bool
        let keys: Keys?
        let anchors: [Float]
        let candidates: [[Float]]
        let loss: Float
        let dAnchors: [Float]
        let dCandidates: [[Float]]
    }
    struct OptimizerCase: Decodable {
        let name: String
        let kind: String
        let weightDecay: Double
        let beta1: Double?
        let beta2: Double?
        let epsilon: Double?
        let momentum: Double?
        let dampening: Double?
        let nesterov: Bool?
        let initial: [Float]
        let learningRates: [Double]
        let gradients: [[Float]]
        let parameters: [[Float]]
    }
    struct ScheduleCase: Decodable {
        let baseLearningRate: Double
        let totalSteps: Int
        let warmupRatio: Double
        let warmupSteps: Int
        let learningRates: [Double]
    }
    struct ClipCase: Decodable {
        let name: String
        let maxNorm: Float
        let sizes: [Int]
        let gradients: [Float]
        let tensorNorms: [Float]
        let totalNorm: Float
        let clipped: [Float]
    }
    let B: Int
    let D: Int
    let losses: [LossCase]
    let optimizers: [OptimizerCase]
    let schedules: [ScheduleCase]
    let clipping: [ClipCase]
}

/// max_i |a_i - b_i| / max(|b|_inf, tiny): the error relative to the reference's scale.
func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) values against \(b.count)")
    let scale = max(b.reduce(0) { max($0, abs($1)) }, 1e-30)
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) } / scale
}

/// max_i |a_i - b_i| / max(|b_i|, floor): elementwise relative error.
func elementwiseRelativeError(_ a: [Float], _ b: [Float], floor: Float = 1e-6) -> Float {
    precondition(a.count == b.count, "\(a.count) values against \(b.count)")
    return zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(abs($1.1), floor)) }
}
