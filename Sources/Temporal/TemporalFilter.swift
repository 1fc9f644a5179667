import Foundation
import KinecolorMotion

/// Smooths one frame's chroma with its neighbours in the same shot, along the motion.
///
/// Output chroma at pixel p = sum_k w_k(p) * chroma_k(q_k) / sum_k w_k(p) over the window frames k
/// within `radius` of the center frame c, where q_k is where p's point of the scene is in frame k
/// (the chain of flows from c to k, `Correspondence`: the neighbour is warped onto the center) and
///   w_k(p) = exp(-(k - c)^2 / (2 temporalSigma^2)) * m_k(p) * exp(-dL^2 / (2 lumaSigma^2)),
///   m_k    = the chain's confidence (forward-backward consistency: ~0 where p is occluded in k),
///   dL     = G_c(p) - gain_k * G_k(q_k),
/// G is the luma box-blurred over (2 guideBlurRadius + 1)^2 pixels (so film grain does not break
/// the similarity) and gain_k = mean(G_c) / mean(G_k), clamped to [0.5, 2] (so flicker, a global
/// brightness change, does not either). Where the flow is wrong the luma after warping differs and
/// that frame gets ~no weight: no ghosting. Frames without motion are compared in place. The
/// center frame's weight is exactly 1. Luma passes through unchanged. A `settled` center frame
/// (see `ChromaFrame.settled`) is averaged with its immediate neighbours only (`settledRadius`).
public struct TemporalFilter: Equatable, Sendable {
    /// Frames on each side of the center; 0 turns smoothing off (identity).
    public var radius: Int
    /// Temporal Gaussian, in frames.
    package var temporalSigma: Float
    /// Luma-similarity Gaussian, in luma units of [0, 1].
    package var lumaSigma: Float
    /// Box-blur radius of the luma guide, in pixels.
    package var guideBlurRadius: Int

    /// The radius for a `settled` center frame: its chroma was carried along these flows already,
    /// so only its immediate neighbours are averaged in (a third of the cost of radius 3).
    static let settledRadius = 1

    /// `temporalSigma` defaults to `radius` (the window edge keeps weight e^-1/2).
    public init(radius: Int, temporalSigma: Float? = nil, lumaSigma: Float = 0.04, guideBlurRadius: Int = 1) {
        precondition(radius >= 0 && guideBlurRadius >= 0, "radii must be >= 0")
        precondition(lumaSigma > 0, "lumaSigma must be > 0")
        self.radius = radius
        self.temporalSigma = temporalSigma ?? Float(max(radius, 1))
        self.lumaSigma = lumaSigma
        self.guideBlurRadius = guideBlurRadius
        precondition(self.temporalSigma > 0, "temporalSigma must be > 0")
    }

    /// The smoothed `window[center]`. `window` is consecutive frames of one shot in
    /// presentation order, normally those within `radius` of the center (at a shot's
    /// edge, fewer on one side); frames farther than `radius` are ignored.
    /// TemporalSmoother computes exactly this, so a preview that passes the same
    /// neighbours gets the same bits.
    public func smooth(window: [ChromaFrame], center: Int) -> ChromaFrame {
        smooth(window: window, center: center, guides: window.map { guide(of: $0) })
    }

    /// The blurred luma the similarity weights compare (each frame's is computed once by the
    /// streaming smoother, not once per neighbour).
    func guide(of frame: ChromaFrame) -> [Float] {
        boxBlur(frame.luma, width: frame.width, height: frame.height, radius: guideBlurRadius)
    }

    func smooth(window: [ChromaFrame], center: Int, guides: [[Float]]) -> ChromaFrame {
        precondition(window.indices.contains(center), "center outside the window")
        let centerFrame = window[center]
        let reach = centerFrame.settled ? min(radius, Self.settledRadius) : radius
        let first = max(0, center - reach)
        let last = min(window.count - 1, center + reach)
        if first == last { return centerFrame }

        let count = centerFrame.width * centerFrame.height
        let guide = guides[center]
        let guideMean = mean(guide)
        var sumA = centerFrame.a
        var sumB = centerFrame.b
        var sumW = [Float](repeating: 1, count: count)
        let lumaScale = -1 / (2 * lumaSigma * lumaSigma)

        for (k, toK) in correspondences(window, center: center, first: first, last: last) {
            let frame = window[k]
            let warped = toK.warp([guides[k], frame.a, frame.b])
            let otherGuide = warped[0], otherA = warped[1], otherB = warped[2]
            let otherMean = mean(otherGuide)
            let gain = Float(otherMean > 1e-6 ? min(2, max(0.5, guideMean / otherMean)) : 1)
            let dt = Float(k - center)
            let temporalWeight = exp(-dt * dt / (2 * temporalSigma * temporalSigma))
            for p in 0..<count {
                let dL = guide[p] - gain * otherGuide[p]
                let w = temporalWeight * toK.confidence[p] * exp(dL * dL * lumaScale)
                sumA[p] += w * otherA[p]
                sumB[p] += w * otherB[p]
                sumW[p] += w
            }
        }
        var out = centerFrame
        for p in 0..<count {
            out.a[p] = sumA[p] / sumW[p]
            out.b[p] = sumB[p] / sumW[p]
        }
        return out
    }

    /// For each neighbour k in first...last, the chain of flows from the center to it, built
    /// outwards one frame at a time (frame k's `motion` links it to frame k - 1).
    private func correspondences(_ window: [ChromaFrame], center: Int, first: Int, last: Int) -> [(Int, Correspondence)] {
        let c = window[center]
        let identity = Correspondence.identity(width: c.width, height: c.height)
        let still = PairMotion.still(width: c.width, height: c.height)
        var out: [(Int, Correspondence)] = []
        var chain = identity
        for k in stride(from: center + 1, through: last, by: 1) {
            precondition(window[k].width == c.width && window[k].height == c.height, "window frames differ in size")
            let m = window[k].motion ?? still
            chain = k == center + 1 ? .along(m.forward, confidence: m.forwardConfidence)
                : chain.extended(by: m.forward, confidence: m.forwardConfidence)
            out.append((k, chain))
        }
        chain = identity
        for k in stride(from: center - 1, through: first, by: -1) {
            precondition(window[k].width == c.width && window[k].height == c.height, "window frames differ in size")
            let m = window[k + 1].motion ?? still
            chain = k == center - 1 ? .along(m.backward, confidence: m.backwardConfidence)
                : chain.extended(by: m.backward, confidence: m.backwardConfidence)
            out.append((k, chain))
        }
        return out
    }

    private func mean(_ plane: [Float]) -> Double {
        var sum = 0.0
        for v in plane { sum += Double(v) }
        return sum / Double(plane.count)
    }
}

/// Mean over a (2r+1)^2 square, separable, edges replicated. Running sums along each row and
/// column, so the cost does not grow with the radius (the reference fill's neighbourhood is an
/// eighth of the frame).
func boxBlur(_ plane: [Float], width: Int, height: Int, radius: Int) -> [Float] {
    guard radius > 0 else { return plane }
    let scale = 1 / Float(2 * radius + 1)
    /// One line of `count` samples `stride` apart from `base`, blurred into `out`.
    func line(_ src: UnsafeBufferPointer<Float>, _ out: UnsafeMutableBufferPointer<Float>, base: Int, count: Int, stride: Int) {
        func at(_ i: Int) -> Float { src[base + min(count - 1, max(0, i)) * stride] }
        var sum: Float = 0
        for i in -radius...radius { sum += at(i) }
        for i in 0..<count {
            out[base + i * stride] = sum * scale
            sum += at(i + radius + 1) - at(i - radius)
        }
    }
    var rows = [Float](repeating: 0, count: plane.count)
    var out = rows
    plane.withUnsafeBufferPointer { src in
        rows.withUnsafeMutableBufferPointer { dst in
            for y in 0..<height { line(src, dst, base: y * width, count: width, stride: 1) }
        }
    }
    rows.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for x in 0..<width { line(src, dst, base: x, count: height, stride: width) }
        }
    }
    return out
}
