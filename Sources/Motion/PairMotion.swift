import Foundation
import Synchronization

/// The motion between two consecutive frames a, b of a shot, both ways, with how far each vector
/// can be trusted.
///
/// Confidence of a vector w at pixel p of a (and likewise from b): with ŵ the other direction's
/// vector where p lands, the forward–backward error e = |w + ŵ|² (0 when the two flows agree, as
/// they do where the content is visible in both frames) against the tolerance of Sundaram et al.
/// (ECCV 2010), t = 0.01 (|w|² + |ŵ|²) + 0.5: 1 within it, exp(−(e − t) / t) beyond (their binary
/// test made soft); a vector that leaves the picture gets 0. So occlusions and new content get ~0
/// and their color is not carried, while the ordinary sub-pixel disagreement of two good flows
/// costs nothing: confidence multiplies along chains of flows, and would otherwise fade with
/// every frame of a long carry.
///
/// Two flows can agree and still be wrong: something that appears in place (a light switched
/// on, an object faded in) has consistent zero flow. So the brightness must agree too: with d the
/// difference between p and where it lands, on the frames as the flow saw them (normalized for
/// flicker and fades, lightly blurred against grain; deviation 40), the confidence is also
/// multiplied by exp(−max(0, |d| − 10) / 10): a quarter of the picture's deviation is grain,
/// more is new content.
///
/// And two flows can disagree where both are fine: on stripes, bars and other repeating texture
/// each direction may lock onto another period. Where p lands on the same brightness almost
/// exactly (exp(−(2|d| / 10)²) instead of the agreement term, whichever is larger), the vector is
/// trusted anyway: it points at the same-looking texture, whose color is the same. What this
/// trusts wrongly is an occlusion by something of exactly the same brightness.
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
        precondition(a.width == b.width && a.height == b.height, "planes differ in size")
        let w = a.width, h = a.height
        let results = Mutex<[Result<FlowField, Error>?]>([nil, nil])
        let seen = [OpticalFlow.quantized(a), OpticalFlow.quantized(b)]
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = Result { try flow.flow(from: seen[i], to: seen[1 - i], width: w, height: h) }
            results.withLock { $0[i] = r }
        }
        let (forward, backward) = try results.withLock { (try $0[0]!.get(), try $0[1]!.get()) }
        let pa = seen[0].map(Float.init), pb = seen[1].map(Float.init)
        // The two confidence passes are as costly as a fast flow: side by side too.
        let trust = Mutex<[[Float]]>([[], []])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let c = i == 0 ? consistency(of: forward, against: backward, from: pa, to: pb)
                : consistency(of: backward, against: forward, from: pb, to: pa)
            trust.withLock { $0[i] = c }
        }
        let (forwardConfidence, backwardConfidence) = trust.withLock { ($0[0], $0[1]) }
        return PairMotion(forward: forward, backward: backward,
                          forwardConfidence: forwardConfidence, backwardConfidence: backwardConfidence)
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

    /// `source` and `target`: the two frames as the flow saw them (`OpticalFlow.quantized`).
    static func consistency(of flow: FlowField, against other: FlowField, from source: [Float], to target: [Float]) -> [Float] {
        let width = flow.width, height = flow.height
        let grid = Sampler(width: width, height: height)
        var out = [Float](repeating: 0, count: width * height)
        let grain: Float = 10
        target.withUnsafeBufferPointer { tb in
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
                        let d = abs(source[p] - grid.sample(tb, qx, qy))
                        let agree = exp(-max(0, e - tolerance) / tolerance)
                        let match = d * 2 / grain
                        out[p] = exp(-max(0, d - grain) / grain) * max(agree, exp(-match * match))
                    }
                }
            }
        }
        }
        return out
    }
}
