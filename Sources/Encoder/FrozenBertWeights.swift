import Foundation
import Tensor

/// The weights of the frozen inference path (`BertModel`): the views of `BertParameters`, under the
/// same Hugging Face names, over memory that nothing writes from here on — without the flat trainable
/// block, which loading would zero-fill and copy into.
///
/// Loaded from safetensors (`init(config:safetensors:path:)`), F32 tensors are used where they lie in
/// the file's read-only mapping, which these weights keep open; other dtypes, and F32 tensors that are
/// not 4-byte aligned in the file, are converted once into buffers of their own. A merged adapter
/// (`LoRAAdapter.merged(into:)`) gives new weights holding copies of only the tensors it changes.
/// Never write through the views: they may point into a read-only mapping.
///
/// Sizes: V vocabulary, maxP positions, typeV token types, C hidden.
public struct FrozenBertWeights: @unchecked Sendable {
    public let config: BertConfig
    public let wordEmbeddings: UnsafePointer<Float>  // (V, C)
    public let positionEmbeddings: UnsafePointer<Float>  // (maxP, C)
    public let tokenTypeEmbeddings: UnsafePointer<Float>  // (typeV, C)
    public let embeddingsLayerNorm: LayerNormParameters
    public let layers: [BertLayerParameters]

    /// Every tensor by its name in `BertParameters.layout(config)`.
    private let tensors: [String: UnsafeMutablePointer<Float>]
    /// What keeps the tensors' memory alive: the `SafeTensorsFile`, `OwnedTensors`, a `ParameterBlock`.
    private let owners: [AnyObject]
    /// The block, when these are the views of a `BertParameters`.
    private let block: ParameterBlock?

    private init(
        config: BertConfig, tensors: [String: UnsafeMutablePointer<Float>], owners: [AnyObject], block: ParameterBlock?
    ) {
        self.config = config
        self.tensors = tensors
        self.owners = owners
        self.block = block
        func tensor(_ name: String) -> UnsafeMutablePointer<Float> {
            guard let pointer = tensors[name] else { preconditionFailure("no tensor named \(name)") }
            return pointer
        }
        wordEmbeddings = UnsafePointer(tensor("embeddings.word_embeddings.weight"))
        positionEmbeddings = UnsafePointer(tensor("embeddings.position_embeddings.weight"))
        tokenTypeEmbeddings = UnsafePointer(tensor("embeddings.token_type_embeddings.weight"))
        embeddingsLayerNorm = LayerNormParameters(name: "embeddings.LayerNorm", tensor: tensor)
        layers = (0..<config.numHiddenLayers).map { BertLayerParameters(layer: $0, config: config, tensor: tensor) }
    }

    /// The views of `parameters`' block, which these weights keep alive. The block must not change
    /// afterwards.
    public init(_ parameters: BertParameters) {
        let block = parameters.block
        var tensors: [String: UnsafeMutablePointer<Float>] = [:]
        for entry in block.entries { tensors[entry.name] = block.pointer(entry.name) }
        self.init(config: parameters.config, tensors: tensors, owners: [block], block: block)
    }

    /// Every tensor of `BertParameters.layout(config)` from a safetensors file (named and checked as by
    /// `BertParameters.storedNames`; every weight must be finite), read in place where it can be.
    public init(config: BertConfig, safetensors file: SafeTensorsFile, path: String) throws {
        let stored = try BertParameters.storedNames(config: config, safetensors: file, path: path)
        let owned = OwnedTensors()
        var tensors: [String: UnsafeMutablePointer<Float>] = [:]
        for ((name, shape), storedName) in zip(BertParameters.layout(config), stored) {
            guard let info = file.info(storedName) else { throw SafeTensorsError.tensorNotFound(path: path, tensor: storedName) }
            let count = shape.reduce(1, *)
            let bytes = try file.mappedBytes(storedName)
            let values: UnsafeMutablePointer<Float>
            if FrozenBertWeights.readsInPlace(info.dtype), let start = bytes.baseAddress,
                Int(bitPattern: start) % MemoryLayout<Float>.alignment == 0
            {
                values = UnsafeMutablePointer(mutating: start.assumingMemoryBound(to: Float.self))
            } else {
                values = owned.allocate(count)
                try file.read(storedName, into: UnsafeMutableBufferPointer(start: values, count: count))
            }
            try BertParameters.checkFinite(UnsafeBufferPointer(start: values, count: count), tensor: storedName, path: path)
            tensors[name] = values
        }
        self.init(config: config, tensors: tensors, owners: [file, owned], block: nil)
    }

    /// F32 bytes are Floats as they lie on a little-endian machine.
    private static func readsInPlace(_ dtype: SafeTensorsDType) -> Bool {
        #if _endian(little)
        dtype == .f32
        #else
        false
        #endif
    }

    /// These weights with each tensor of `names` replaced by a copy of its own, which `edit` then
    /// changes (a LoRA merge); the other tensors stay shared.
    func copying(_ names: some Sequence<String>, edit: (_ name: String, _ values: UnsafeMutablePointer<Float>) -> Void)
        -> FrozenBertWeights
    {
        let owned = OwnedTensors()
        var tensors = self.tensors
        let shapes = Dictionary(uniqueKeysWithValues: BertParameters.layout(config).map { ($0.name, $0.shape) })
        for name in names {
            guard let source = tensors[name], let shape = shapes[name] else {
                preconditionFailure("no tensor named \(name)")
            }
            let count = shape.reduce(1, *)
            let copy = owned.allocate(count)
            copy.update(from: source, count: count)
            edit(name, copy)
            tensors[name] = copy
        }
        return FrozenBertWeights(config: config, tensors: tensors, owners: owners + [owned], block: nil)
    }

    /// `ModelFingerprint.hash` of the flat parameter block these weights would fill: every tensor in
    /// layout order, each padded with zeros to a multiple of 16 values. Views of a `BertParameters`
    /// hash its block as it is; loaded weights stream the same bytes from where they lie.
    func weightsHash() -> UInt64 {
        if let block {
            let storage = block.storage
            return ModelFingerprint.hash(
                UnsafeRawBufferPointer(start: storage.pointer, count: storage.count * MemoryLayout<Float>.stride))
        }
        let layout = BertParameters.layout(config)
        let padded = { (count: Int) in (count + 15) / 16 * 16 }
        let floats = layout.reduce(0) { $0 + padded($1.shape.reduce(1, *)) }
        var hasher = WeightsHasher(byteCount: floats * MemoryLayout<Float>.stride)
        for (name, shape) in layout {
            guard let values = tensors[name] else { preconditionFailure("no tensor named \(name)") }
            let count = shape.reduce(1, *)
            hasher.update(UnsafeRawBufferPointer(start: values, count: count * MemoryLayout<Float>.stride))
            hasher.updateZeros(count: (padded(count) - count) * MemoryLayout<Float>.stride)
        }
        return hasher.finalize()
    }
}

/// Float buffers frozen weights own (tensors converted from another dtype, or changed by an adapter),
/// 64-byte aligned, freed with the last weights that use them.
private final class OwnedTensors: @unchecked Sendable {
    private var buffers: [UnsafeMutablePointer<Float>] = []

    func allocate(_ count: Int) -> UnsafeMutablePointer<Float> {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(1, count) * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: Swift.max(1, count))
        buffers.append(buffer)
        return buffer
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }
}
