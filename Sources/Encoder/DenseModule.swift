import Kernels
import Tensor

/// sentence-transformers' `models.Dense` (sentence_transformers/models/Dense.py): a fully connected layer
/// on the pooled sentence embedding, `out = activation(inp @ weight^T + bias)`, between Pooling and
/// Normalize. Models use it to project to another dimension; EmbedTune's Matryoshka training adds one
/// holding a fixed rotation (`MatryoshkaRotation`). It is frozen: training backpropagates through it
/// to the encoder but never changes it.
///
/// Sizes: B sentences, C input features, OC output features.
public struct DenseModule: Sendable, Equatable {
    /// The activations sentence-transformers writes as `activation_function`.
    public enum Activation: String, Sendable, Equatable {
        case identity = "torch.nn.modules.linear.Identity"
        case tanh = "torch.nn.modules.activation.Tanh"
    }

    /// C
    public let inFeatures: Int
    /// OC
    public let outFeatures: Int
    /// (OC, C), `linear.weight`.
    public let weight: [Float]
    /// (OC), `linear.bias`; nil when the layer has none (`"bias": false`).
    public let bias: [Float]?
    public let activation: Activation

    public init(inFeatures: Int, outFeatures: Int, weight: [Float], bias: [Float]?, activation: Activation) {
        precondition(inFeatures > 0 && outFeatures > 0, "Dense sizes must be positive")
        precondition(weight.count == outFeatures * inFeatures, "Dense weight must be (\(outFeatures), \(inFeatures))")
        precondition(bias.map { $0.count == outFeatures } ?? true, "Dense bias must be (\(outFeatures))")
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.weight = weight
        self.bias = bias
        self.activation = activation
    }

    /// out (B, OC) = activation(inp (B, C) @ weight^T + bias). `out` must not alias `inp`.
    public func forward(
        out: UnsafeMutablePointer<Float>,  // (B, OC)
        inp: UnsafePointer<Float>,  // (B, C)
        b: Int, context: ComputeContext
    ) {
        weight.withUnsafeBufferPointer { w in
            guard let w = w.baseAddress else { return }
            if let bias {
                bias.withUnsafeBufferPointer { bb in
                    Linear.forward(
                        out: out, inp: inp, weight: w, bias: bb.baseAddress, n: b, c: inFeatures, oc: outFeatures,
                        context: context)
                }
            } else {
                Linear.forward(
                    out: out, inp: inp, weight: w, bias: nil, n: b, c: inFeatures, oc: outFeatures, context: context)
            }
        }
        if activation == .tanh {
            for i in 0..<(b * outFeatures) { out[i] = Float(tanh(Double(out[i]))) }
        }
    }

    /// dinp (B, C) += gradient of `forward` with respect to its input; `out` is the forward's output (read
    /// for tanh's derivative only). `dout` is not changed.
    public func backward(
        dinp: UnsafeMutablePointer<Float>,  // (B, C)
        dout: UnsafePointer<Float>,  // (B, OC)
        out: UnsafePointer<Float>,  // (B, OC)
        b: Int, context: ComputeContext
    ) {
        // out = tanh(z)  =>  dz = dout * (1 - out^2)
        var dz = [Float](repeating: 0, count: b * outFeatures)  // (B, OC)
        for i in 0..<(b * outFeatures) {
            dz[i] = activation == .tanh ? dout[i] * (1 - out[i] * out[i]) : dout[i]
        }
        // z = inp @ weight^T + bias  =>  dinp += dz @ weight
        weight.withUnsafeBufferPointer { w in
            dz.withUnsafeBufferPointer { dz in
                guard let w = w.baseAddress, let dz = dz.baseAddress else { return }
                Linear.backward(
                    dinp: dinp, dweight: nil, dbias: nil, dout: dz, inp: dz, weight: w, n: b, c: inFeatures,
                    oc: outFeatures, context: context)
            }
        }
    }

    /// Applies `modules` in order to (B, C) rows: the output, (B, last OC); `modules` empty gives `rows`.
    public static func apply(_ modules: [DenseModule], to rows: [Float], b: Int, context: ComputeContext) -> [Float] {
        var current = rows
        for module in modules {
            var next = [Float](repeating: 0, count: b * module.outFeatures)
            current.withUnsafeBufferPointer { inp in
                next.withUnsafeMutableBufferPointer { out in
                    guard let inp = inp.baseAddress, let out = out.baseAddress else { return }
                    module.forward(out: out, inp: inp, b: b, context: context)
                }
            }
            current = next
        }
        return current
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
