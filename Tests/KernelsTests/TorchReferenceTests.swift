import Tensor
import Testing
@testable import Kernels

/// Every layer against PyTorch (scripts/reference/kernel_fixtures.py): forward within 1e-5
/// absolute, gradients of sum(out * dout) within 1e-4 relative or 1e-5 absolute.
@Suite struct TorchReferenceTests {
    @Test(arguments: LayerHarness.allCases)
    func forwardMatchesTorch(caseName: String) {
        let layer = LayerHarness.named(caseName)
        let expected = KernelFixtures.shared[caseName].tensor("out").array
        let out = layer.forward()
        #expect(maxAbsDifference(out, expected) <= 1e-5, "\(caseName): max difference \(maxAbsDifference(out, expected))")
    }

    @Test(arguments: LayerHarness.allCases)
    func gradientsMatchTorchAutograd(caseName: String) {
        let fixture = KernelFixtures.shared[caseName]
        let layer = LayerHarness.named(caseName)
        let gradients = layer.zeroGradients()
        layer.backward(fixture.tensor("dout"), gradients)
        for name in layer.differentiable {
            let expected = fixture.tensor("d" + name).array
            let actual = gradients[name]!.array
            let mismatch = FiniteDifference.mismatch(actual, expected, relative: 1e-4, absolute: 1e-5)
            #expect(mismatch <= 1, "\(caseName) d\(name): worst mismatch \(mismatch) of the tolerance")
        }
    }
}

/// Every backward against central finite differences of its own forward.
@Suite struct FiniteDifferenceTests {
    @Test(arguments: LayerHarness.allCases)
    func gradientsMatchCentralDifferences(caseName: String) {
        let layer = LayerHarness.named(caseName)
        for (name, mismatch) in layer.finiteDifferenceMismatches(dout: KernelFixtures.shared[caseName].tensor("dout")) {
            #expect(mismatch <= 1, "\(caseName) d\(name): worst mismatch \(mismatch) of the tolerance")
        }
    }

    @Test(arguments: LayerHarness.allCases)
    func backwardAccumulatesIntoGradients(caseName: String) {
        let layer = LayerHarness.named(caseName)
        let dout = KernelFixtures.shared[caseName].tensor("dout")
        let gradients = layer.zeroGradients()
        layer.backward(dout, gradients)
        let once = gradients.mapValues(\.array)
        layer.backward(dout, gradients)
        for name in layer.differentiable {
            #expect(once[name]!.contains { $0 != 0 }, "\(caseName) d\(name) is all zero")
            let twice = gradients[name]!.array
            let mismatch = FiniteDifference.mismatch(twice, once[name]!.map { 2 * $0 }, relative: 1e-6, absolute: 1e-7)
            #expect(mismatch <= 1, "\(caseName) d\(name): a second backward did not double the gradient")
        }
    }
}
