import Foundation
import Synchronization

/// The motion between two consecutive frames a, b of a shot, both ways, with how far each vector
/// can be trusted.
///
/// Confidence of a vector w at pixel p of a (and likewise from b): with ŵ the other direction's
/// vector where p lands, the forward–backward error e = |w + ŵ|² (0 when the two flows agree, as
/// they do where the content is visible in both frames) against the tolerance of Sundaram et al.
/// (ECCV 2010), t = 0.01 (|w|² + |ŵ|²) + 0.5, gives exp(−e / t); a vector that leaves the picture
/// gets 0. So occlusions and new content get ~0 and their color is not carried.
public struct PairMotion: Sendable, Equatable {
    /// a → b, on a's pixels.
    public var forward: FlowField
    /// b → a, on b's pixels.
    public var backward: FlowField
    /// Trust in `forward`, on a's pixels, in [0, 1].
    public var forwardConfidence: [Float]
    /// Trust in `backward`, on b's pixels, in [0, 1].
    public var backwardConfidence: [Float]

    public init(forward: FlowField, backward: FlowField, forwardConfidence: [Float], backwardConfidence: [Float]) {
        self.forward = forward
        self.backward = backward
        self.forwardConfidence = forwardConfidence
        self.backwardConfidence = backwardConfidence
    }

    /// Both flows between `a` and `b` (computed side by side), and their confidences.
    public static func estimate(from a: LumaPlane, to b: LumaPlane, flow: OpticalFlow = OpticalFlow()) throws -> PairMotion {
        let results = Mutex<[Result<FlowField, Error>?]>([nil, nil])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = Result { try i == 0 ? flow.flow(from: a, to: b) : flow.flow(from: b, to: a) }
            results.withLock { $0[i] = r }
        }
        let (forward, backward) = try results.withLock { (try $0[0]!.get(), try $0[1]!.get()) }
        return PairMotion(forward: forward, backward: backward,
                          forwardConfidence: consistency(of: forward, against: backward),
                          backwardConfidence: consistency(of: backward, against: forward))
    }

    /// A pair with no motion and full confidence (identical frames).
    public static func still(width: Int, height: Int) -> PairMotion {
        let zero = FlowField.zero(width: width, height: height)
        let one = [Float](repeating: 1, count: width * height)
        return PairMotion(forward: zero, backward: zero, forwardConfidence: one, backwardConfidence: one)
    }

    /// Mean confidence of both directions: how much of the picture the pair can carry.
    public var meanConfidence: Float {
        (forwardConfidence.reduce(0, +) + backwardConfidence.reduce(0, +)) / Float(2 * forwardConfidence.count)
    }

    static func consistency(of flow: FlowField, against other: FlowField) -> [Float] {
        let width = flow.width, height = flow.height
        let grid = Sampler(width: width, height: height)
        var out = [Float](repeating: 0, count: width * height)
        other.dx.withUnsafeBufferPointer { ox in
            other.dy.withUnsafeBufferPointer { oy in
                for y in 0..<height {
                    for x in 0..<width {
                        let p = y * width + x
                        let u = flow.dx[p], v = flow.dy[p]
                        let qx = Float(x) + u, qy = Float(y) + v
                        guard grid.contains(qx, qy) else { continue }
                        let bu = grid.sample(ox, qx, qy), bv = grid.sample(oy, qx, qy)
                        let e = (u + bu) * (u + bu) + (v + bv) * (v + bv)
                        let tolerance = 0.01 * (u * u + v * v + bu * bu + bv * bv) + 0.5
                        out[p] = exp(-e / tolerance)
                    }
                }
            }
        }
        return out
    }
}
