/// Element types of the safetensors format, spelled as in the header's `"dtype"` field.
///
/// Upstream: huggingface/safetensors `safetensors/src/tensor.rs` (`enum Dtype`). Every dtype the format
/// lists with a whole number of bytes per element is known here, so that a file holding, say, `U8` tensors
/// still validates; only the ones in ``convertibleToFloat`` can be read as `Float`.
public enum SafeTensorsDType: String, Sendable, CaseIterable {
    case bool = "BOOL"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"
    case c64 = "C64"

    /// Bytes per element.
    public var size: Int {
        switch self {
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: 1
        case .i16, .u16, .f16, .bf16: 2
        case .i32, .u32, .f32: 4
        case .f64, .i64, .u64, .c64: 8
        }
    }

    /// Whether ``SafeTensorsFile/tensor(_:)`` can convert this dtype to `Float`.
    /// F32, F16 and BF16 convert exactly; F64 rounds to nearest; I32 and I64 convert exactly up to
    /// magnitude 2^24 and round to nearest beyond (BERT checkpoints store `position_ids` as I64).
    public var convertibleToFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i32, .i64: true
        default: false
        }
    }
}

/// Exact conversions of 16-bit floats to `Float`, by bit manipulation (portable: no `Float16` type needed).
public enum HalfFloat {
    /// IEEE 754 binary16 → binary32. Every binary16 value, subnormals included, is exactly representable;
    /// infinities keep their sign and NaNs keep sign and payload (shifted into the top mantissa bits).
    @inline(__always)
    public static func f16ToFloat(_ bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        if exponent == 0 {
            // Zero or subnormal: mantissa × 2^-24, exact in binary32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign != 0 ? -magnitude : magnitude
        }
        if exponent == 0x1F {
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        }
        // Rebias the exponent from 15 to 127.
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    /// bfloat16 → binary32: bfloat16 is the upper half of a binary32, so this is exact for every value.
    @inline(__always)
    public static func bf16ToFloat(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }
}
