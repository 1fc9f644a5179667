import Foundation
import KinecolorMotion
@testable import KinecolorTemporal

/// Synthetic shots for the motion-aware parts of the temporal stage: a textured picture whose
/// chroma moves with its luma (so the true chroma of every frame is known), optionally with a
/// patch that appears part-way through.
struct MovingScene {
    let width = 96, height = 64
    /// Pixels per frame, to the right and down.
    var velocity: (x: Float, y: Float) = (1.5, 0.5)
    /// A bright patch with its own color appears at this frame (nil: never).
    var patchFrom: Int?
    let patch = (x: 56..<80, y: 20..<44)

    func texture(_ x: Float, _ y: Float) -> Float {
        0.45 + 0.2 * sin(x * 0.31 + 0.7 * sin(y * 0.13)) * cos(y * 0.27 - 0.4 * cos(x * 0.11)) + 0.1 * sin((x + y) * 0.07)
    }

    func inPatch(_ x: Int, _ y: Int, frame t: Int) -> Bool {
        guard let from = patchFrom, t >= from else { return false }
        return patch.x.contains(x) && patch.y.contains(y)
    }

    /// Luma of frame t: the texture moved by t * velocity, and the patch on top.
    func luma(_ t: Int) -> [Float] {
        (0..<(width * height)).map { p in
            let x = p % width, y = p / width
            if inPatch(x, y, frame: t) { return 0.9 + 0.05 * sin(Float(x) * 0.9) * sin(Float(y) * 0.8) }
            return texture(Float(x) - velocity.x * Float(t), Float(y) - velocity.y * Float(t))
        }
    }

    /// The true chroma: a function of the scene point (it moves with the texture); the patch is +40, -30.
    func truth(_ t: Int) -> (a: [Float], b: [Float]) {
        var a = [Float](repeating: 0, count: width * height), b = a
        for p in 0..<(width * height) {
            let x = p % width, y = p / width
            if inPatch(x, y, frame: t) { a[p] = 40; b[p] = -30; continue }
            let sx = Float(x) - velocity.x * Float(t), sy = Float(y) - velocity.y * Float(t)
            a[p] = 30 * sin(sx * 0.05)
            b[p] = 30 * cos(sy * 0.07)
        }
        return (a, b)
    }

    func plane(_ t: Int) -> LumaPlane { LumaPlane(width: width, height: height, values: luma(t)) }

    /// Frames 0..<count with the motion between neighbours.
    func frames(_ count: Int) throws -> [LumaFrame] {
        var out: [LumaFrame] = []
        for t in 0..<count {
            let motion = t == 0 ? nil : try PairMotion.estimate(from: plane(t - 1), to: plane(t))
            out.append(LumaFrame(index: t, width: width, height: height, luma: luma(t), motion: motion))
        }
        return out
    }

    /// A "network" that knows the truth, and counts its calls.
    final class Oracle: @unchecked Sendable {
        let scene: MovingScene
        var calls: [Int] = []
        init(_ scene: MovingScene) { self.scene = scene }
        func colorize(_ f: LumaFrame) -> ChromaFrame {
            calls.append(f.index)
            let (a, b) = scene.truth(f.index)
            return ChromaFrame(width: f.width, height: f.height, luma: f.luma, a: a, b: b)
        }
    }

    /// Mean |a - a_true| + |b - b_true| over the pixels at least `margin` from every edge, or
    /// inside `region` when given.
    func error(_ frame: ChromaFrame, t: Int, margin: Int = 8, region: ((Int, Int) -> Bool)? = nil) -> Float {
        let (a, b) = truth(t)
        var sum: Float = 0, n: Float = 0
        for y in margin..<(height - margin) {
            for x in margin..<(width - margin) where region?(x, y) ?? true {
                let p = y * width + x
                sum += abs(frame.a[p] - a[p]) + abs(frame.b[p] - b[p])
                n += 1
            }
        }
        return sum / max(n, 1)
    }
}
