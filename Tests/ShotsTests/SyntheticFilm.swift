// Deterministic synthetic luma sequences for the detector tests.

/// Small deterministic PRNG (SplitMix64) so tests never depend on the platform's RNG.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    /// Standard normal (Box-Muller).
    mutating func normal() -> Double {
        let u = max(unit(), 1e-12), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

import Foundation

/// A grayscale picture in [0, 1], larger than a frame so a camera can move over it.
struct Scene {
    let width: Int, height: Int
    var pixels: [Double]

    /// Smooth random blobs plus a few hard-edged rectangles: film-like structure at
    /// several scales. Different seeds give unrelated pictures.
    init(seed: UInt64, width: Int = 320, height: Int = 200) {
        self.width = width
        self.height = height
        var rng = SplitMix64(state: seed)
        var p = [Double](repeating: 0.45, count: width * height)
        for _ in 0..<12 {
            let cx = rng.unit() * Double(width), cy = rng.unit() * Double(height)
            let r = 10 + rng.unit() * 50, amp = rng.unit() * 0.5 - 0.25
            for y in 0..<height {
                for x in 0..<width {
                    let dx = Double(x) - cx, dy = Double(y) - cy
                    p[y * width + x] += amp * exp(-(dx * dx + dy * dy) / (2 * r * r))
                }
            }
        }
        for _ in 0..<5 {
            let x0 = Int(rng.unit() * Double(width - 40)), y0 = Int(rng.unit() * Double(height - 40))
            let w = 10 + Int(rng.unit() * 40), h = 10 + Int(rng.unit() * 40), v = rng.unit()
            for y in y0..<min(height, y0 + h) {
                for x in x0..<min(width, x0 + w) { p[y * width + x] = v }
            }
        }
        pixels = p
    }

    /// A width x height view with its top-left corner at (x, y), in [0, 1].
    func frame(x: Int = 0, y: Int = 0, width w: Int = 160, height h: Int = 120) -> [Double] {
        var out = [Double](repeating: 0, count: w * h)
        for row in 0..<h {
            for col in 0..<w { out[row * w + col] = pixels[(row + y) * width + col + x] }
        }
        return out
    }
}

/// Converts [0, 1] pixels to 10-bit samples, clamping.
func samples(_ frame: [Double], maxValue: Int = 1023) -> [UInt16] {
    frame.map { UInt16(max(0, min(Double(maxValue), ($0 * Double(maxValue)).rounded()))) }
}
