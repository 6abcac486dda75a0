/// Converts the little-endian bytes of a safetensors tensor to `Float`.
enum SafeTensorsConversion {
    /// - Parameters:
    ///   - source: `destination.count × dtype.size` bytes, any alignment.
    ///   - dtype: one of the dtypes with ``SafeTensorsDType/convertibleToFloat``.
    ///   - destination: (count) Floats.
    static func convert(_ source: UnsafeRawBufferPointer, dtype: SafeTensorsDType, into destination: UnsafeMutableBufferPointer<Float>) {
        let count = destination.count
        precondition(source.count == count * dtype.size, "byte count does not match the element count")
        guard count > 0, let output = destination.baseAddress, let input = source.baseAddress else { return }
        switch dtype {
        case .f32:
            #if _endian(little)
            UnsafeMutableRawPointer(output).copyMemory(from: input, byteCount: count * 4)
            #else
            for i in 0..<count {
                output[i] = Float(bitPattern: UInt32(littleEndian: input.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .f16:
            for i in 0..<count {
                output[i] = HalfFloat.f16ToFloat(UInt16(littleEndian: input.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bf16:
            for i in 0..<count {
                output[i] = HalfFloat.bf16ToFloat(UInt16(littleEndian: input.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .f64:
            for i in 0..<count {
                output[i] = Float(Double(bitPattern: UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        case .i64:
            for i in 0..<count {
                output[i] = Float(Int64(littleEndian: input.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
            }
        case .i32:
            for i in 0..<count {
                output[i] = Float(Int32(littleEndian: input.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
            }
        default:
            preconditionFailure("dtype \(dtype.rawValue) is not convertible to Float")
        }
    }
}
