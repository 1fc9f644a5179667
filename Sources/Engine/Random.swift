import Foundation

/// A small portable random generator: SplitMix64 for the bits, Box–Muller in Double for normals.
/// The same seed gives the same numbers on every machine, OS and compiler, which matters because
/// a shot's z is derived from the seed and renders must be reproducible across machines.
public struct PortableRandom {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A generator for one member of a family, e.g. (user seed, purpose).
    public init(seed: UInt64, stream: UInt64) {
        var mixer = PortableRandom(seed: seed ^ 0x9E37_79B9_7F4A_7C15)
        let a = mixer.next()
        state = a ^ (stream &* 0xD1B5_4A32_D192_ED03)
        _ = next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double {
        Double(next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Standard normal. log, cos and sqrt are correctly rounded enough in every libm we target
    /// that results agree to the last float bit after the conversion to Float.
    public mutating func normal() -> Double {
        let u1 = max(uniform(), 1e-300), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    public mutating func normals(_ count: Int, std: Double = 1) -> [Float] {
        (0..<count).map { _ in Float(normal() * std) }
    }
}
