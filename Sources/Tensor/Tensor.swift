/// A contiguous, row-major block of `Float`s with a shape. It owns 64-byte-aligned memory, so that
/// SIMD loads are aligned and the buffer can be handed to BLAS as it is.
///
/// `Tensor` is a reference type: layers write into tensors sized once and reused across batches.
public final class Tensor: @unchecked Sendable {
    public private(set) var shape: [Int]
    /// Capacity in elements; `count` may shrink below it when the tensor is reshaped for a smaller batch.
    public private(set) var capacity: Int
    public private(set) var pointer: UnsafeMutablePointer<Float>

    public var count: Int { shape.reduce(1, *) }

    /// A zero-filled tensor of the given shape.
    public init(zeros shape: [Int]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.capacity = Swift.max(1, shape.reduce(1, *))
        self.pointer = Tensor.allocate(capacity)
        self.pointer.initialize(repeating: 0, count: capacity)
    }

    public convenience init(shape: [Int], values: [Float]) {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        self.init(zeros: shape)
        values.withUnsafeBufferPointer { pointer.update(from: $0.start, count: values.count) }
    }

    deinit { pointer.deallocate() }

    private static func allocate(_ n: Int) -> UnsafeMutablePointer<Float> {
        UnsafeMutableRawPointer.allocate(byteCount: n * MemoryLayout<Float>.stride, alignment: 64)
            .bindMemory(to: Float.self, capacity: n)
    }

    /// Changes the shape, growing the storage (to 1.25 times what the new shape needs) only when the
    /// new shape needs more room. Contents are not preserved when the storage grows; a buffer reused
    /// across batches is rewritten anyway.
    public func reshape(_ newShape: [Int]) {
        precondition(newShape.allSatisfy { $0 >= 0 }, "negative dimension in \(newShape)")
        let n = newShape.reduce(1, *)
        if n > capacity {
            // A quarter of headroom: batches of varying size (a training step's token count) then
            // reallocate, and fault in and zero fresh pages, a few times rather than at every new maximum.
            let grown = n + n / 4
            pointer.deallocate()
            capacity = grown
            pointer = Tensor.allocate(grown)
            pointer.initialize(repeating: 0, count: grown)
        }
        shape = newShape
    }

    public var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public var array: [Float] { Array(buffer) }

    public subscript(index: Int) -> Float {
        get { precondition(index >= 0 && index < count); return pointer[index] }
        set { precondition(index >= 0 && index < count); pointer[index] = newValue }
    }
}
