import Dispatch

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// sRGB <-> CIELAB exactly as BigColor's `utils/color_models.py` (kornia-derived) computes it
// in float32: the same constants, the same order of operations and the same clamps, so
// colorized frames match the official output. Docs/bigcolor-architecture.md §8.1/§8.2
// is the reference. Note that M_inv below is *not* the exact inverse of M; both are kept
// as published because the official fusion uses them.

// Scalars that Python writes as double expressions are rounded to float once, as PyTorch
// does when it combines a Python number with a float32 tensor.
private let fourTwentyNinths = Float(4.0 / 29.0)
private let oneThird = Float(1.0 / 3.0)
private let inverseGamma = Float(1.0 / 2.4)
private let whiteX: Float = 0.95047
private let whiteY: Float = 1.0
private let whiteZ: Float = 1.08883

@inline(__always)
private func srgbToLinear(_ c: Float) -> Float {
    c > 0.04045 ? powf((c + 0.055) / 1.055, 2.4) : c / 12.92
}

@inline(__always)
private func linearToSRGB(_ v: Float) -> Float {
    v > 0.0031308 ? 1.055 * powf(max(v, 0.0031308), inverseGamma) - 0.055 : 12.92 * v
}

@inline(__always)
private func labF(_ t: Float) -> Float {
    t > 0.008856 ? powf(max(t, 0.008856), oneThird) : 7.787 * t + fourTwentyNinths
}

@inline(__always)
private func labFInverse(_ f: Float) -> Float {
    f > 0.2068966 ? f * f * f : (f - fourTwentyNinths) / 7.787
}

/// sRGB in [0, 1] (D65, 2° observer) to CIELAB: L in [0, 100], a and b roughly ±127.
@inline(__always)
public func rgbToLab(_ r: Float, _ g: Float, _ b: Float) -> (L: Float, a: Float, b: Float) {
    let rl = srgbToLinear(r), gl = srgbToLinear(g), bl = srgbToLinear(b)
    let x = 0.412453 * rl + 0.357580 * gl + 0.180423 * bl
    let y = 0.212671 * rl + 0.715160 * gl + 0.072169 * bl
    let z = 0.019334 * rl + 0.119193 * gl + 0.950227 * bl
    let fx = labF(x / whiteX), fy = labF(y / whiteY), fz = labF(z / whiteZ)
    return (116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz))
}

/// CIELAB to sRGB clamped to [0, 1] (the official `lab2rgb` with clip = True).
@inline(__always)
public func labToRGB(_ L: Float, _ a: Float, _ b: Float) -> (r: Float, g: Float, b: Float) {
    let fy = (L + 16) / 116
    let fx = a / 500 + fy
    let fz = max(fy - b / 200, 0)  // only Z is clamped, as in the official code
    let x = labFInverse(fx) * whiteX, y = labFInverse(fy) * whiteY, z = labFInverse(fz) * whiteZ
    let rl: Float = 3.2404813432005266 * x + -1.5371515162713185 * y + -0.4985363261688878 * z
    let gl: Float = -0.9692549499965682 * x + 1.8759900014898907 * y + 0.0415559265582928 * z
    let bl: Float = 0.0556466391351772 * x + -0.2040413383665112 * y + 1.0573110696453443 * z
    return (clamp01(linearToSRGB(rl)), clamp01(linearToSRGB(gl)), clamp01(linearToSRGB(bl)))
}

@inline(__always)
private func clamp01(_ v: Float) -> Float { min(max(v, 0), 1) }

/// Converts a planar [3, H, W] sRGB image to planar CIELAB.
public func rgbToLab(_ rgb: Tensor) -> Tensor {
    let n = planeSize(rgb, channels: 3, "rgbToLab")
    return Tensor(shape: rgb.shape, data: mapPixels(rgb.data, n) { src, i in
        let lab = rgbToLab(src[i], src[n + i], src[2 * n + i])
        return (lab.L, lab.a, lab.b)
    })
}

/// Converts a planar [3, H, W] CIELAB image to planar sRGB clamped to [0, 1].
public func labToRGB(_ lab: Tensor) -> Tensor {
    let n = planeSize(lab, channels: 3, "labToRGB")
    return Tensor(shape: lab.shape, data: mapPixels(lab.data, n) { src, i in
        labToRGB(src[i], src[n + i], src[2 * n + i])
    })
}

/// Pixels per plane of a [C, H, W] tensor with C == `channels`.
private func planeSize(_ t: Tensor, channels: Int, _ caller: String) -> Int {
    precondition(t.shape.count == 3 && t.shape[0] == channels,
                 "\(caller): expected a [\(channels), H, W] tensor, got \(t.shapeDescription)")
    return t.shape[1] * t.shape[2]
}

/// Applies a per-pixel function over three planes of `n` pixels, in parallel chunks:
/// a full HD frame is two million pixels with several powf calls each.
private func mapPixels(_ input: [Float], _ n: Int,
                       _ pixel: (UnsafeBufferPointer<Float>, Int) -> (Float, Float, Float)) -> [Float] {
    [Float](unsafeUninitializedCapacity: 3 * n) { out, initialized in
        let dst = out
        input.withUnsafeBufferPointer { src in
            let chunk = 16_384
            let chunks = (n + chunk - 1) / chunk
            func run(_ c: Int) {
                for i in (c * chunk)..<min(n, (c + 1) * chunk) {
                    let v = pixel(src, i)
                    dst[i] = v.0
                    dst[n + i] = v.1
                    dst[2 * n + i] = v.2
                }
            }
            parallelFor(chunks, run)
        }
        initialized = 3 * n
    }
}
