// IEEE binary16 and bfloat16 conversions done on bit patterns, because Swift's Float16
// is not available on every platform (macOS on Intel lacks it).

/// Widens an IEEE half-precision bit pattern to Float (exact: every half is a float).
@inline(__always)
func floatFromHalfBits(_ h: UInt16) -> Float {
    let sign: UInt32 = UInt32(h & 0x8000) << 16
    let exponent = UInt32(h >> 10) & 0x1f
    let mantissa = UInt32(h & 0x3ff)
    if exponent == 0x1f {
        // Infinity or NaN; the NaN payload moves to the top of the float mantissa.
        return Float(bitPattern: sign | 0x7f80_0000 | (mantissa << 13))
    }
    if exponent == 0 {
        // Zero or subnormal: mantissa · 2⁻²⁴ is exact in Float.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign != 0 ? -magnitude : magnitude
    }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}

/// Narrows a Float to an IEEE half bit pattern, rounding to nearest even like a
/// hardware conversion. Finite values beyond ±65504 (after rounding) become infinity.
func halfBits(from value: Float) -> UInt16 {
    let bits = value.bitPattern
    let sign = UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000)
    let exponent = Int((bits >> 23) & 0xff)
    let mantissa = bits & 0x7f_ffff

    if exponent == 0xff {
        // Keep NaN a NaN even when its payload lives only in the low bits.
        return mantissa == 0 ? sign | 0x7c00 : sign | 0x7e00 | UInt16(truncatingIfNeeded: mantissa >> 13)
    }
    let halfExponent = exponent - 127 + 15
    if halfExponent >= 0x1f { return sign | 0x7c00 }

    let full: UInt32
    let shift: UInt32
    if halfExponent <= 0 {
        // Subnormal half (or zero): the implicit leading 1 becomes explicit.
        if halfExponent < -10 { return sign }
        full = mantissa | 0x80_0000
        shift = UInt32(14 - halfExponent)
    } else {
        full = (UInt32(halfExponent) << 23) | mantissa
        shift = 13
    }
    var rounded = full >> shift
    let remainder = full & ((1 << shift) - 1)
    let halfway: UInt32 = 1 << (shift - 1)
    if remainder > halfway || (remainder == halfway && (rounded & 1) != 0) {
        rounded += 1  // a carry into the exponent is the correct next value (up to infinity)
    }
    return sign | UInt16(truncatingIfNeeded: rounded)
}

/// Widens a bfloat16 bit pattern (the top half of a float).
@inline(__always)
func floatFromBFloat16Bits(_ h: UInt16) -> Float {
    Float(bitPattern: UInt32(h) << 16)
}
