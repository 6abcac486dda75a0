import Foundation
import Testing
@testable import Encoder

/// F16 and BF16 convert to Float exactly; checked on hand-computed bit patterns, and F16 on every pattern.
@Suite struct SafeTensorsConversionTests {
    // (binary16 bits, expected binary32 bits), worked out by hand from the IEEE 754 layouts.
    static let f16Cases: [(UInt16, UInt32)] = [
        (0x0000, 0x0000_0000),  // +0
        (0x8000, 0x8000_0000),  // -0
        (0x3C00, 0x3F80_0000),  // 1
        (0xC000, 0xC000_0000),  // -2
        (0x3555, 0x3EAA_A000),  // 0.333251953125 (nearest to 1/3)
        (0x7BFF, 0x477F_E000),  // 65504, the largest finite
        (0x0400, 0x3880_0000),  // 2^-14, the smallest normal
        (0x0001, 0x3380_0000),  // 2^-24, the smallest subnormal
        (0x03FF, 0x387F_C000),  // 1023 × 2^-24, the largest subnormal
        (0x8001, 0xB380_0000),  // -2^-24
        (0x0200, 0x3800_0000),  // 2^-15, a subnormal
        (0x7C00, 0x7F80_0000),  // +inf
        (0xFC00, 0xFF80_0000),  // -inf
        (0x7E00, 0x7FC0_0000),  // quiet NaN
        (0xFE01, 0xFFC0_2000),  // negative NaN with payload
        (0x7C01, 0x7F80_2000),  // signalling NaN, payload kept
    ]

    @Test(arguments: f16Cases)
    func f16BitPatterns(half: UInt16, single: UInt32) {
        #expect(HalfFloat.f16ToFloat(half).bitPattern == single)
    }

    static let bf16Cases: [(UInt16, UInt32)] = [
        (0x0000, 0x0000_0000), (0x8000, 0x8000_0000),  // ±0
        (0x3F80, 0x3F80_0000),  // 1
        (0xC040, 0xC040_0000),  // -3
        (0x4049, 0x4049_0000),  // 3.140625
        (0x0001, 0x0001_0000),  // a subnormal
        (0x807F, 0x807F_0000),  // the largest-magnitude negative subnormal
        (0x7F7F, 0x7F7F_0000),  // the largest finite
        (0x7F80, 0x7F80_0000), (0xFF80, 0xFF80_0000),  // ±inf
        (0x7FC0, 0x7FC0_0000), (0xFF81, 0xFF81_0000),  // NaNs
    ]

    @Test(arguments: bf16Cases)
    func bf16BitPatterns(half: UInt16, single: UInt32) {
        #expect(HalfFloat.bf16ToFloat(half).bitPattern == single)
    }

    @Test func f16ValuesMatchTheirArithmeticDefinition() {
        // value = (-1)^s × 2^(e-15) × (1 + m/1024) for normals, (-1)^s × 2^-14 × m/1024 for subnormals.
        for bits in UInt16.min...UInt16.max {
            let sign: Float = bits & 0x8000 == 0 ? 1 : -1
            let exponent = Int(bits >> 10) & 0x1F
            let mantissa = Float(bits & 0x3FF)
            let converted = HalfFloat.f16ToFloat(bits)
            switch exponent {
            case 0x1F:
                #expect(mantissa == 0 ? converted == sign * .infinity : converted.isNaN, "bits \(bits)")
            case 0:
                #expect(converted == sign * Float(sign: .plus, exponent: -14, significand: mantissa / 1024), "bits \(bits)")
                #expect(converted.sign == (sign < 0 ? .minus : .plus))
            default:
                #expect(converted == sign * Float(sign: .plus, exponent: exponent - 15, significand: 1 + mantissa / 1024), "bits \(bits)")
            }
        }
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    @Test func f16AgreesWithSwiftFloat16ForEveryPattern() {
        for bits in UInt16.min...UInt16.max {
            let ours = HalfFloat.f16ToFloat(bits)
            let reference = Float(Float16(bitPattern: bits))
            #expect(ours.isNaN ? reference.isNaN : ours.bitPattern == reference.bitPattern, "bits \(bits)")
        }
    }
    #endif

    @Test func halfTensorsInAFileConvert() throws {
        let f16: [UInt16] = [0x3C00, 0x8001, 0x7C00, 0x8000]
        let bf16: [UInt16] = [0xC040, 0x0001, 0xFF80, 0x7FC0]
        let data = f16.flatMap(CraftedFile.littleEndian) + bf16.flatMap(CraftedFile.littleEndian)
        let url = CraftedFile.safetensors(
            header: #"{"a": {"dtype": "F16", "shape": [2, 2], "data_offsets": [0, 8]}, "b": {"dtype": "BF16", "shape": [4], "data_offsets": [8, 16]}}"#,
            data: data)
        let file = try SafeTensorsFile(url: url)
        let a = try file.tensor("a")
        #expect(a.shape == [2, 2])
        #expect(a.array.map(\.bitPattern) == f16.map { HalfFloat.f16ToFloat($0).bitPattern })
        #expect(a.array.map(\.bitPattern) == [0x3F80_0000, 0xB380_0000, 0x7F80_0000, 0x8000_0000])
        #expect(try file.floats("b").map(\.bitPattern) == [0xC040_0000, 0x0001_0000, 0xFF80_0000, 0x7FC0_0000])
    }

    @Test func integerAndDoubleTensorsConvert() throws {
        let i64: [Int64] = [0, -5, 511, 1 << 40]
        let i32: [Int32] = [-7, 16_777_217]
        let f64: [Double] = [0.1, -1e300]
        let data = i64.flatMap(CraftedFile.littleEndian) + i32.flatMap(CraftedFile.littleEndian)
            + f64.flatMap { CraftedFile.littleEndian($0.bitPattern) }
        let url = CraftedFile.safetensors(
            header: #"{"ids": {"dtype": "I64", "shape": [1, 4], "data_offsets": [0, 32]}, "j": {"dtype": "I32", "shape": [2], "data_offsets": [32, 40]}, "d": {"dtype": "F64", "shape": [2], "data_offsets": [40, 56]}}"#,
            data: data)
        let file = try SafeTensorsFile(url: url)
        #expect(try file.floats("ids") == i64.map(Float.init))
        #expect(try file.floats("j") == i32.map(Float.init))
        #expect(try file.floats("d") == [Float(0.1), -.infinity])
    }
}
