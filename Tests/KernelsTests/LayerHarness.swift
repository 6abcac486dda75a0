import Tensor
@testable import Kernels

/// One kernel under test, set up from a fixture case: its parameters (inputs and weights, by the
/// fixture's names), a forward on their current values, and a backward that ACCUMULATES into one
/// gradient tensor per differentiable parameter (fixture name "d" + parameter name).
struct LayerHarness {
    let parameters: [String: Tensor]
    let differentiable: [String]
    /// Finite-difference step for this layer (smaller for max pooling, which is piecewise linear
    /// and must not step across a tie).
    var step: Float = 4e-2
    let forward: () -> [Float]
    let backward: (_ dout: Tensor, _ gradients: [String: Tensor]) -> Void

    /// Zero-filled gradient tensors shaped like the differentiable parameters.
    func zeroGradients() -> [String: Tensor] {
        Dictionary(uniqueKeysWithValues: differentiable.map { ($0, Tensor(zeros: parameters[$0]!.shape)) })
    }

    /// For each differentiable parameter, the worst disagreement of the backward pass with central
    /// differences of the forward (`FiniteDifference.mismatch`, 1e-3 relative / 1e-4 absolute: at most
    /// 1 passes), for the scalar loss sum(out * dout).
    func finiteDifferenceMismatches(dout: Tensor) -> [(name: String, mismatch: Float)] {
        let gradients = zeroGradients()
        backward(dout, gradients)
        return differentiable.map { name in
            let numeric = FiniteDifference.gradient(of: parameters[name]!, h: step) {
                FiniteDifference.dotLoss(forward(), dout)
            }
            return (name, FiniteDifference.mismatch(gradients[name]!.array, numeric, relative: 1e-3, absolute: 1e-4))
        }
    }

    static func named(_ caseName: String) -> LayerHarness {
        let f = KernelFixtures.shared[caseName]
        switch caseName {
        case "linear": return linear(f)
        case "lora": return lora(f)
        case "embedding": return embedding(f)
        case "gelu": return gelu(f)
        case "softmax": return softmax(f)
        case "attention": return attention(f)
        case "l2normalize": return l2Normalize(f)
        case _ where caseName.hasPrefix("layernorm"): return layerNorm(f)
        case _ where caseName.hasPrefix("pooling_"): return pooling(f, mode: PoolingMode(rawValue: String(caseName.dropFirst(8)))!)
        default: fatalError("no harness for \(caseName)")
        }
    }

    static let allCases = ["linear", "lora", "embedding", "layernorm_eps1e-12", "layernorm_eps1e-5", "gelu", "softmax",
                           "attention", "pooling_mean", "pooling_cls", "pooling_max", "pooling_meanSqrtLength", "l2normalize"]

    static func linear(_ f: KernelFixtures.Case) -> LayerHarness {
        let (n, c, oc) = (f.int("n"), f.int("c"), f.int("oc"))
        let inp = f.tensor("inp"), w = f.tensor("weight"), bias = f.tensor("bias")
        let out = Tensor(zeros: [n, oc])
        return LayerHarness(
            parameters: ["inp": inp, "weight": w, "bias": bias], differentiable: ["inp", "weight", "bias"],
            forward: {
                Linear.forward(out: out.pointer, inp: inp.pointer, weight: w.pointer, bias: bias.pointer, n: n, c: c, oc: oc, context: .serial)
                return out.array
            },
            backward: { dout, g in
                Linear.backward(dinp: g["inp"]!.pointer, dweight: g["weight"]!.pointer, dbias: g["bias"]!.pointer,
                                dout: dout.pointer, inp: inp.pointer, weight: w.pointer, n: n, c: c, oc: oc, context: .serial)
            })
    }

    /// A frozen Linear plus its LoRA adapter, as peft's lora.Linear composes them.
    static func lora(_ f: KernelFixtures.Case) -> LayerHarness {
        let (n, c, oc, r) = (f.int("n"), f.int("c"), f.int("oc"), f.int("r"))
        let scale = f.float("scale")
        let inp = f.tensor("inp"), w = f.tensor("weight"), bias = f.tensor("bias"), a = f.tensor("a"), b = f.tensor("b")
        let out = Tensor(zeros: [n, oc]), xa = Tensor(zeros: [n, r])
        let forward = { () -> [Float] in
            var rng = SplitMix64(seed: 0)
            Linear.forward(out: out.pointer, inp: inp.pointer, weight: w.pointer, bias: bias.pointer, n: n, c: c, oc: oc, context: .serial)
            LoRA.forward(out: out.pointer, xa: xa.pointer, droppedInput: nil, inp: inp.pointer, a: a.pointer, b: b.pointer,
                         scale: scale, dropout: 0, rng: &rng, n: n, c: c, oc: oc, r: r, context: .serial)
            return out.array
        }
        return LayerHarness(
            parameters: ["inp": inp, "weight": w, "bias": bias, "a": a, "b": b], differentiable: ["inp", "a", "b"],
            forward: forward,
            backward: { dout, g in
                _ = forward()
                Linear.backward(dinp: g["inp"]!.pointer, dweight: nil, dbias: nil, dout: dout.pointer, inp: inp.pointer,
                                weight: w.pointer, n: n, c: c, oc: oc, context: .serial)
                LoRA.backward(dinp: g["inp"]!.pointer, da: g["a"]!.pointer, db: g["b"]!.pointer, dout: dout.pointer,
                              xa: xa.pointer, droppedInput: nil, inp: inp.pointer, a: a.pointer, b: b.pointer,
                              scale: scale, dropout: 0, n: n, c: c, oc: oc, r: r, context: .serial)
            })
    }

    static func embedding(_ f: KernelFixtures.Case) -> LayerHarness {
        let (n, c, v) = (f.int("n"), f.int("c"), f.int("v"))
        let table = f.tensor("table")
        let ids = f.tensor("ids").array.map { Int32($0) }
        let out = Tensor(zeros: [n, c])
        return LayerHarness(
            parameters: ["table": table], differentiable: ["table"],
            forward: {
                out.zero()
                ids.withUnsafeBufferPointer {
                    Embedding.forward(out: out.pointer, ids: $0.baseAddress!, table: table.pointer, n: n, c: c, vocabularySize: v)
                }
                return out.array
            },
            backward: { dout, g in
                ids.withUnsafeBufferPointer {
                    Embedding.backward(dtable: g["table"]!.pointer, dout: dout.pointer, ids: $0.baseAddress!, n: n, c: c)
                }
            })
    }

    static func layerNorm(_ f: KernelFixtures.Case) -> LayerHarness {
        let (n, c, eps) = (f.int("n"), f.int("c"), f.float("eps"))
        let inp = f.tensor("inp"), w = f.tensor("weight"), bias = f.tensor("bias")
        let out = Tensor(zeros: [n, c]), mean = Tensor(zeros: [n]), rstd = Tensor(zeros: [n])
        let forward = { () -> [Float] in
            LayerNorm.forward(out: out.pointer, mean: mean.pointer, rstd: rstd.pointer, inp: inp.pointer, weight: w.pointer,
                              bias: bias.pointer, n: n, c: c, eps: eps)
            return out.array
        }
        return LayerHarness(
            parameters: ["inp": inp, "weight": w, "bias": bias], differentiable: ["inp", "weight", "bias"],
            forward: forward,
            backward: { dout, g in
                _ = forward()
                LayerNorm.backward(dinp: g["inp"]!.pointer, dweight: g["weight"]!.pointer, dbias: g["bias"]!.pointer,
                                   dout: dout.pointer, inp: inp.pointer, weight: w.pointer, mean: mean.pointer,
                                   rstd: rstd.pointer, n: n, c: c)
            })
    }

    static func gelu(_ f: KernelFixtures.Case) -> LayerHarness {
        let count = f.int("count")
        let inp = f.tensor("inp"), out = Tensor(zeros: [count])
        return LayerHarness(
            parameters: ["inp": inp], differentiable: ["inp"],
            forward: {
                GELU.forward(out: out.pointer, inp: inp.pointer, count: count)
                return out.array
            },
            backward: { dout, g in GELU.backward(dinp: g["inp"]!.pointer, inp: inp.pointer, dout: dout.pointer, count: count) })
    }

    static func softmax(_ f: KernelFixtures.Case) -> LayerHarness {
        let (rows, cols) = (f.int("rows"), f.int("cols"))
        let inp = f.tensor("inp"), out = Tensor(zeros: [rows, cols])
        let forward = { () -> [Float] in
            Softmax.forward(out: out.pointer, inp: inp.pointer, rows: rows, cols: cols)
            return out.array
        }
        return LayerHarness(
            parameters: ["inp": inp], differentiable: ["inp"], forward: forward,
            backward: { dout, g in
                _ = forward()
                Softmax.backward(dinp: g["inp"]!.pointer, dout: dout.pointer, out: out.pointer, rows: rows, cols: cols)
            })
    }

    static func attention(_ f: KernelFixtures.Case, threads: Int = 2, dropout: AttentionDropout = .none) -> LayerHarness {
        let (b, nh, c) = (f.int("b"), f.int("nh"), f.int("c"))
        let offsets = f.ints("lengths").reduce(into: [0]) { $0.append($0.last! + $1) }
        let n = offsets.last!
        let q = f.tensor("q"), k = f.tensor("k"), v = f.tensor("v")
        let out = Tensor(zeros: [n, c])
        let probs = Tensor(zeros: [offsets.withUnsafeBufferPointer { Attention.probabilitiesCount(offsets: $0.baseAddress!, b: b, nh: nh) }])
        let forward = { () -> [Float] in
            offsets.withUnsafeBufferPointer {
                Attention.forward(out: out.pointer, probs: probs.pointer, q: q.pointer, k: k.pointer, v: v.pointer,
                                  offsets: $0.baseAddress!, b: b, nh: nh, c: c, threads: threads, dropout: dropout)
            }
            return out.array
        }
        return LayerHarness(
            parameters: ["q": q, "k": k, "v": v], differentiable: ["q", "k", "v"], forward: forward,
            backward: { dout, g in
                _ = forward()
                offsets.withUnsafeBufferPointer {
                    Attention.backward(dq: g["q"]!.pointer, dk: g["k"]!.pointer, dv: g["v"]!.pointer, dout: dout.pointer,
                                       q: q.pointer, k: k.pointer, v: v.pointer, probs: probs.pointer,
                                       offsets: $0.baseAddress!, b: b, nh: nh, c: c, threads: threads,
                                       dropout: dropout)
                }
            })
    }

    static func pooling(_ f: KernelFixtures.Case, mode: PoolingMode) -> LayerHarness {
        let (b, c) = (f.int("b"), f.int("c"))
        let offsets = f.ints("lengths").reduce(into: [0]) { $0.append($0.last! + $1) }
        let inp = f.tensor("inp"), out = Tensor(zeros: [b, c])
        var argmax = [Int32](repeating: -1, count: b * c)
        let forward = { () -> [Float] in
            offsets.withUnsafeBufferPointer { o in
                argmax.withUnsafeMutableBufferPointer { am in
                    Pooling.forward(out: out.pointer, argmax: am.baseAddress!, inp: inp.pointer, offsets: o.baseAddress!,
                                    mode: mode, b: b, c: c)
                }
            }
            return out.array
        }
        return LayerHarness(
            parameters: ["inp": inp], differentiable: ["inp"], step: mode == .max ? 1e-3 : 1e-2, forward: forward,
            backward: { dout, g in
                _ = forward()
                offsets.withUnsafeBufferPointer { o in
                    argmax.withUnsafeBufferPointer { am in
                        Pooling.backward(dinp: g["inp"]!.pointer, dout: dout.pointer, argmax: am.baseAddress!,
                                         offsets: o.baseAddress!, mode: mode, b: b, c: c)
                    }
                }
            })
    }

    static func l2Normalize(_ f: KernelFixtures.Case) -> LayerHarness {
        let (b, c) = (f.int("b"), f.int("c"))
        let inp = f.tensor("inp"), out = Tensor(zeros: [b, c]), norms = Tensor(zeros: [b])
        let forward = { () -> [Float] in
            L2Normalize.forward(out: out.pointer, norms: norms.pointer, inp: inp.pointer, b: b, c: c)
            return out.array
        }
        return LayerHarness(
            parameters: ["inp": inp], differentiable: ["inp"], forward: forward,
            backward: { dout, g in
                _ = forward()
                L2Normalize.backward(dinp: g["inp"]!.pointer, dout: dout.pointer, out: out.pointer, norms: norms.pointer, b: b, c: c)
            })
    }
}
