import Testing
@testable import Training

@Suite struct ScheduleAndClippingTests {
    @Test func scheduleEqualsTransformers() throws {
        let reference = try Fixtures.reference()
        for c in reference.schedules {
            #expect(LinearWarmupSchedule.warmupSteps(ratio: c.warmupRatio, totalSteps: c.totalSteps) == c.warmupSteps,
                    "warmup of \(c.totalSteps) × \(c.warmupRatio)")
            let schedule = LinearWarmupSchedule(baseLearningRate: c.baseLearningRate, warmupRatio: c.warmupRatio, totalSteps: c.totalSteps)
            for (step, expected) in c.learningRates.enumerated() {
                let rate = schedule.learningRate(atStep: step)
                #expect(abs(rate - expected) <= 1e-15 * c.baseLearningRate, "\(c.totalSteps)/\(c.warmupRatio) step \(step): \(rate) vs \(expected)")
            }
        }
    }

    @Test func firstStepRunsAtZeroDuringWarmupAndTheLastAboveZero() {
        let schedule = LinearWarmupSchedule(baseLearningRate: 1e-4, warmupSteps: 10, totalSteps: 100)
        #expect(schedule.learningRate(atStep: 0) == 0)
        #expect(schedule.learningRate(atStep: 10) == 1e-4)
        #expect(schedule.learningRate(atStep: 99) > 0)
        #expect(schedule.learningRate(atStep: 100) == 0)
    }

    @Test func clippingEqualsTorch() throws {
        let reference = try Fixtures.reference()
        for c in reference.clipping {
            var starts = [0]
            for size in c.sizes { starts.append(starts[starts.count - 1] + size) }
            let tensors = zip(starts, starts.dropFirst()).map { $0..<$1 }
            let norms = c.gradients.withUnsafeBufferPointer { GradientClipping.norms($0, ranges: tensors) }
            #expect(relativeError(norms, c.tensorNorms) < 1e-6, "\(c.name): tensor norms")
            var gradients = c.gradients
            let total = gradients.withUnsafeMutableBufferPointer { GradientClipping.clip($0, maxNorm: c.maxNorm, tensors: tensors) }
            #expect(abs(total - c.totalNorm) <= 1e-6 * c.totalNorm, "\(c.name): total norm \(total) vs \(c.totalNorm)")
            #expect(elementwiseRelativeError(gradients, c.clipped) <= 1e-6, "\(c.name): clipped gradients")
            // treating the buffer as one tensor gives the same norm
            var again = c.gradients
            let single = again.withUnsafeMutableBufferPointer { GradientClipping.clip($0, maxNorm: c.maxNorm) }
            #expect(abs(single - c.totalNorm) <= 1e-6 * c.totalNorm)
        }
    }
}
