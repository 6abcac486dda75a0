import Testing
@testable import Training

@Suite struct BatchPlanTests {
    @Test func eachEpochIsAPermutationCutIntoBatches() {
        let plan = BatchPlan(count: 103, batchSize: 10, seed: 42, epoch: 0)
        #expect(plan.order.sorted() == Array(0..<103))
        #expect(plan.order != Array(0..<103))
        #expect(plan.batchCount == 10)
        #expect(plan.batches.allSatisfy { $0.count == 10 })
        #expect(Set(plan.batches.joined()).count == 100)
        let kept = BatchPlan(count: 103, batchSize: 10, seed: 42, epoch: 0, dropLast: false)
        #expect(kept.batchCount == 11 && kept.batch(10).count == 3)
        #expect(kept.order == plan.order)
    }

    @Test func sameSeedAndEpochGiveTheSameBatches() {
        #expect(BatchPlan(count: 50, batchSize: 8, seed: 7, epoch: 3) == BatchPlan(count: 50, batchSize: 8, seed: 7, epoch: 3))
        #expect(BatchPlan(count: 50, batchSize: 8, seed: 7, epoch: 3).order != BatchPlan(count: 50, batchSize: 8, seed: 7, epoch: 4).order)
        #expect(BatchPlan(count: 50, batchSize: 8, seed: 7, epoch: 3).order != BatchPlan(count: 50, batchSize: 8, seed: 8, epoch: 3).order)
    }

    @Test func shuffleIsRoughlyUniform() {
        // position of element 0 over many epochs: each of 4 positions about a quarter of the time
        var counts = [0, 0, 0, 0]
        for epoch in 0..<4000 { counts[BatchPlan(count: 4, batchSize: 2, seed: 1, epoch: epoch).order.firstIndex(of: 0) ?? 0] += 1 }
        #expect(counts.allSatisfy { abs($0 - 1000) < 150 }, "\(counts)")
    }

    @Test func batchCountsFollowDropLast() {
        #expect(BatchPlan.batchCount(count: 64, batchSize: 32) == 2)
        #expect(BatchPlan.batchCount(count: 65, batchSize: 32) == 2)
        #expect(BatchPlan.batchCount(count: 65, batchSize: 32, dropLast: false) == 3)
        #expect(BatchPlan(count: 0, batchSize: 4, seed: 0, epoch: 0).batchCount == 0)
    }
}
