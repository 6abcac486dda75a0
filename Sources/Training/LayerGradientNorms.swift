import Encoder

/// The L2 norm of the gradients of one layer: "embeddings", "encoder.layer.3", ...
public struct LayerGradientNorm: Sendable, Codable, Equatable {
    public var layer: String
    public var norm: Float

    public init(layer: String, norm: Float) {
        self.layer = layer
        self.norm = norm
    }
}

/// Gradient norms per layer of a parameter block, so that a vanishing or exploding layer shows up in
/// metrics.jsonl. Entries are grouped by their Hugging Face name prefix: everything under
/// `encoder.layer.{i}.` (weights or LoRA pairs) is layer i, `embeddings.*` is "embeddings", and any other
/// name is grouped by its first component.
public struct LayerGradientNorms: Sendable {
    /// Layer names in block order and the tensor ranges of each.
    public let layers: [(name: String, ranges: [Range<Int>])]

    public init(block: ParameterBlock) {
        var layers: [(name: String, ranges: [Range<Int>])] = []
        for entry in block.entries {
            let name = Self.layerName(entry.name)
            let range = entry.offset..<(entry.offset + entry.count)
            if let i = layers.firstIndex(where: { $0.name == name }) {
                layers[i].ranges.append(range)
            } else {
                layers.append((name, [range]))
            }
        }
        self.layers = layers
    }

    /// "encoder.layer.0.attention.self.query.lora_A.weight" → "encoder.layer.0";
    /// "embeddings.LayerNorm.weight" → "embeddings".
    public static func layerName(_ tensor: String) -> String {
        let parts = tensor.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count >= 3, parts[0] == "encoder", parts[1] == "layer" { return parts[0...2].joined(separator: ".") }
        return parts.first.map(String.init) ?? tensor
    }

    /// The norm of each layer (L2 norm of its tensors' gradients together), in block order.
    public func norms(_ gradients: ParameterBlock) -> [LayerGradientNorm] {
        let buffer = UnsafeBufferPointer(gradients.storage.buffer)
        return layers.map { layer in
            let squares = GradientClipping.norms(buffer, ranges: layer.ranges)
                .reduce(0.0) { $0 + Double($1) * Double($1) }
            return LayerGradientNorm(layer: layer.name, norm: Float(squares.squareRoot()))
        }
    }
}
