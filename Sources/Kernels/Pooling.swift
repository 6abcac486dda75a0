import Tensor

/// How token vectors become one sentence vector: sentence-transformers `Pooling`
/// (sentence_transformers/models/Pooling.py) modes `pooling_mode_mean_tokens`,
/// `pooling_mode_cls_token`, `pooling_mode_max_tokens`, `pooling_mode_mean_sqrt_len_tokens`.
public enum PoolingMode: String, Sendable, Codable {
    case mean, cls, max, meanSqrtLength
}

/// Sentence-transformers pooling over the real tokens of each packed sequence. There is no padding
/// in the packed layout, so max pooling needs no mask.
///
/// Sizes: B sequences packed into N rows (`offsets` (B+1), every L_b > 0), C channels.
public enum Pooling {
    /// out[b] = pool(inp[offsets[b] ..< offsets[b+1]]). For `.max`, `argmax` (B, C) must be
    /// non-nil in training: it receives the packed row index (0..<N) of each maximum.
    public static func forward(
        out: UnsafeMutablePointer<Float>,  // (B, C)
        argmax: UnsafeMutablePointer<Int32>?,  // (B, C) saved for .max's backward
        inp: UnsafePointer<Float>,  // (N, C)
        offsets: UnsafePointer<Int>,  // (B + 1)
        mode: PoolingMode, b: Int, c: Int
    ) {
        precondition(b >= 0 && c > 0, "Pooling.forward: bad sizes b \(b), c \(c)")
        for s in 0..<b {
            let start = offsets[s], end = offsets[s + 1]
            precondition(end > start, "Pooling.forward: sequence \(s) is empty")
            let o = out + s * c
            switch mode {
            case .cls:
                o.update(from: inp + start * c, count: c)
            case .mean, .meanSqrtLength:
                o.update(from: inp + start * c, count: c)
                for t in (start + 1)..<end { VectorOps.add(inp + t * c, into: o, c) }
                let l = Float(end - start)
                VectorOps.scale(o, 1 / (mode == .mean ? l : l.squareRoot()), c)
            case .max:
                let am = argmax.map { $0 + s * c }
                o.update(from: inp + start * c, count: c)
                am?.update(repeating: Int32(start), count: c)
                for t in (start + 1)..<end {
                    let x = inp + t * c
                    for j in 0..<c where x[j] > o[j] {
                        o[j] = x[j]
                        am?[j] = Int32(t)
                    }
                }
            }
        }
    }

    /// Gradients of `forward`, ACCUMULATED (+=) into `dinp`: mean spreads dout / L (or / √L) over
    /// the sequence's rows, cls sends it to the first row, max to the row that held the maximum.
    public static func backward(
        dinp: UnsafeMutablePointer<Float>,  // (N, C)
        dout: UnsafePointer<Float>,  // (B, C)
        argmax: UnsafePointer<Int32>?,  // (B, C) for .max
        offsets: UnsafePointer<Int>,  // (B + 1)
        mode: PoolingMode, b: Int, c: Int
    ) {
        precondition(b >= 0 && c > 0, "Pooling.backward: bad sizes b \(b), c \(c)")
        for s in 0..<b {
            let start = offsets[s], end = offsets[s + 1]
            precondition(end > start, "Pooling.backward: sequence \(s) is empty")
            let g = dout + s * c
            switch mode {
            case .cls:
                VectorOps.add(g, into: dinp + start * c, c)
            case .mean, .meanSqrtLength:
                let l = Float(end - start)
                let w = 1 / (mode == .mean ? l : l.squareRoot())
                for t in start..<end { VectorOps.axpy(w, g, dinp + t * c, c) }
            case .max:
                guard let argmax else { preconditionFailure("Pooling.backward: .max needs the argmax saved by forward") }
                let am = argmax + s * c
                for j in 0..<c {
                    let t = Int(am[j])
                    precondition(t >= start && t < end, "Pooling.backward: argmax \(t) outside sequence \(s)")
                    dinp[t * c + j] += g[j]
                }
            }
        }
    }
}
