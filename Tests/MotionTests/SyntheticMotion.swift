import Foundation
@testable import KinecolorMotion

/// SplitMix64 with Box–Muller: the same numbers on every machine and every run.
struct SeededRandom {
    var state: UInt64

    mutating func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }

    mutating func normal() -> Double {
        let u = max(unit(), 1e-12), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// A picture defined everywhere on the plane, so that a moved copy of it is exact (no resampling):
/// a sum of sinusoids with seeded directions, frequencies and phases, which looks like a smooth
/// random texture (periods of 9 to 60 pixels, no single dominant direction).
struct Texture {
    private var waves: [(kx: Double, ky: Double, phase: Double, amplitude: Double)] = []

    init(seed: UInt64, count: Int = 24) {
        var rng = SeededRandom(state: seed)
        for _ in 0..<count {
            let angle = rng.unit() * .pi, frequency = 0.1 + 0.6 * rng.unit()
            waves.append((cos(angle) * frequency, sin(angle) * frequency, rng.unit() * 2 * .pi,
                          0.5 + rng.unit()))
        }
        let total = waves.reduce(0) { $0 + $1.amplitude }
        waves = waves.map { ($0.kx, $0.ky, $0.phase, $0.amplitude / total) }
    }

    /// In [0.1, 0.9]; about 0.5 ± 0.1.
    func value(_ x: Double, _ y: Double) -> Double {
        var sum = 0.0
        for w in waves { sum += w.amplitude * sin(w.kx * x + w.ky * y + w.phase) }
        return 0.5 + 0.4 * sum
    }
}

/// A known motion of the picture: `source(x, y)` is where the content seen at (x, y) in the second
/// frame was in the first, and `flow(x, y)` is where pixel (x, y) of the first frame went.
struct Motion {
    let source: (Double, Double) -> (Double, Double)
    let flow: (Double, Double) -> (Double, Double)

    static func translation(_ tx: Double, _ ty: Double) -> Motion {
        Motion(source: { ($0 - tx, $1 - ty) }, flow: { _, _ in (tx, ty) })
    }

    /// Scale `s` about (cx, cy).
    static func zoom(_ s: Double, cx: Double, cy: Double) -> Motion {
        Motion(source: { (cx + ($0 - cx) / s, cy + ($1 - cy) / s) },
               flow: { ((s - 1) * ($0 - cx), (s - 1) * ($1 - cy)) })
    }

    /// Counter-clockwise in image coordinates (y down) by `degrees` about (cx, cy).
    static func rotation(_ degrees: Double, cx: Double, cy: Double) -> Motion {
        let a = degrees * .pi / 180, c = cos(a), s = sin(a)
        return Motion(source: { x, y in
            let u = x - cx, v = y - cy
            return (cx + c * u + s * v, cy - s * u + c * v)
        }, flow: { x, y in
            let u = x - cx, v = y - cy
            return (cx + c * u - s * v - x, cy + s * u + c * v - y)
        })
    }
}

enum Synthetic {
    static func plane(_ width: Int, _ height: Int, _ value: (Int, Int) -> Double) -> LumaPlane {
        LumaPlane(width: width, height: height, values: (0..<(width * height)).map {
            Float(value($0 % width, $0 / width))
        })
    }

    /// The texture, and the texture moved by `motion`.
    static func pair(_ texture: Texture, _ motion: Motion, width: Int, height: Int) -> (LumaPlane, LumaPlane) {
        (plane(width, height) { texture.value(Double($0), Double($1)) },
         plane(width, height) { x, y in
             let (sx, sy) = motion.source(Double(x), Double(y))
             return texture.value(sx, sy)
         })
    }

    /// `gain · v + offset`, plus seeded Gaussian grain of deviation `grain`.
    static func degraded(_ p: LumaPlane, gain: Float = 1, offset: Float = 0, grain: Float = 0, seed: UInt64 = 1) -> LumaPlane {
        var rng = SeededRandom(state: seed)
        return LumaPlane(width: p.width, height: p.height, values: p.values.map {
            gain * $0 + offset + grain * Float(rng.normal())
        })
    }

    /// Mean endpoint error against `motion` over pixels at least `margin` from every edge whose
    /// true destination is also at least `margin` inside the picture.
    static func endpointError(_ f: FlowField, _ motion: Motion, margin: Int = 8) -> Double {
        var sum = 0.0, count = 0
        let lo = Double(margin), hx = Double(f.width - 1 - margin), hy = Double(f.height - 1 - margin)
        for y in margin..<(f.height - margin) {
            for x in margin..<(f.width - margin) {
                let (u, v) = motion.flow(Double(x), Double(y))
                let tx = Double(x) + u, ty = Double(y) + v
                guard tx >= lo, ty >= lo, tx <= hx, ty <= hy else { continue }
                let p = y * f.width + x
                sum += hypot(Double(f.dx[p]) - u, Double(f.dy[p]) - v)
                count += 1
            }
        }
        precondition(count > 0, "no pixel to measure")
        return sum / Double(count)
    }

    /// Mean of `values` over the pixels where `region` holds.
    static func mean(_ values: [Float], width: Int, where region: (Int, Int) -> Bool) -> Double {
        var sum = 0.0, count = 0
        for (p, v) in values.enumerated() where region(p % width, p / width) {
            sum += Double(v)
            count += 1
        }
        precondition(count > 0, "empty region")
        return sum / Double(count)
    }
}
