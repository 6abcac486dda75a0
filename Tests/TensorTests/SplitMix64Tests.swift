import Testing
import Tensor

@Suite struct SplitMix64Tests {
    /// `at(draw:from:)` is the generator after that many draws: what lets a block of a dropout mask
    /// start its draws at its own offset.
    @Test(arguments: [0, 1, 7, 384, 4099])
    func jumpingAheadEqualsDrawing(draws: Int) {
        var drawn = SplitMix64(seed: 0xC0FFEE)
        let start = drawn.state
        for _ in 0..<draws { _ = drawn.next() }
        var jumped = SplitMix64.at(draw: draws, from: start)
        #expect(jumped.state == drawn.state)
        #expect(jumped.next() == drawn.next())
    }
}
