/// For every pixel of one frame, where the same point of the scene is in another frame of the shot
/// and how sure that is: a chain of flows composed, so that color is resampled once from the far
/// frame instead of once per frame (repeated bilinear warps would blur it a little more each time).
///
/// Confidence multiplies along the chain: one occlusion anywhere on the way breaks it.
public struct Correspondence: Sendable, Equatable {
    public let width: Int
    public let height: Int
    /// Position in the other frame, in its pixels.
    public var x: [Float]
    public var y: [Float]
    public var confidence: [Float]

    /// A frame and itself.
    public static func identity(width: Int, height: Int) -> Correspondence {
        var x = [Float](repeating: 0, count: width * height), y = x
        for row in 0..<height {
            for col in 0..<width {
                x[row * width + col] = Float(col)
                y[row * width + col] = Float(row)
            }
        }
        return Correspondence(width: width, height: height, x: x, y: y,
                              confidence: [Float](repeating: 1, count: width * height))
    }

    /// One flow as a correspondence: `identity.extended(by: flow, confidence:)` without the
    /// resampling (the same values: sampling at pixel centres is exact).
    public static func along(_ flow: FlowField, confidence trust: [Float]) -> Correspondence {
        let width = flow.width, height = flow.height
        let grid = Sampler(width: width, height: height)
        var x = [Float](repeating: 0, count: width * height), y = x, c = x
        for row in 0..<height {
            for col in 0..<width {
                let p = row * width + col
                x[p] = Float(col) + flow.dx[p]
                y[p] = Float(row) + flow.dy[p]
                c[p] = grid.contains(x[p], y[p]) ? trust[p] : 0
            }
        }
        return Correspondence(width: width, height: height, x: x, y: y, confidence: c)
    }

    init(width: Int, height: Int, x: [Float], y: [Float], confidence: [Float]) {
        self.width = width
        self.height = height
        self.x = x
        self.y = y
        self.confidence = confidence
    }

    /// `self` maps frame s to frame k; `flow` goes from a new frame t to s (on t's pixels, with its
    /// confidence). The result maps t to k: the chain grows at the near end, as when a keyframe's
    /// color is carried one more frame away from it.
    public func reached(from flow: FlowField, confidence trust: [Float]) -> Correspondence {
        precondition(flow.width == width && flow.height == height && trust.count == width * height,
                     "flow and correspondence differ in size")
        let grid = Sampler(width: width, height: height)
        var outX = [Float](repeating: 0, count: width * height), outY = outX, outC = outX
        x.withUnsafeBufferPointer { mx in
        y.withUnsafeBufferPointer { my in
        confidence.withUnsafeBufferPointer { mc in
        flow.dx.withUnsafeBufferPointer { fx in
        flow.dy.withUnsafeBufferPointer { fy in
        trust.withUnsafeBufferPointer { tc in
        outX.withUnsafeMutableBufferPointer { ox in
        outY.withUnsafeMutableBufferPointer { oy in
        outC.withUnsafeMutableBufferPointer { oc in
            for row in 0..<height {
                for col in 0..<width {
                    let p = row * width + col
                    let sx = Float(col) + fx[p], sy = Float(row) + fy[p]
                    let t = grid.taps(sx, sy)
                    ox[p] = Sampler.mix(mx, t)
                    oy[p] = Sampler.mix(my, t)
                    oc[p] = grid.contains(sx, sy) ? tc[p] * Sampler.mix(mc, t) : 0
                }
            }
        }}}}}}}}}
        return Correspondence(width: width, height: height, x: outX, y: outY, confidence: outC)
    }

    /// `self` maps frame c to frame s; `flow` goes from s to a farther frame u (on s's pixels, with
    /// its confidence). The result maps c to u: the chain grows at the far end, as when a frame
    /// looks one more frame away for its neighbours.
    public func extended(by flow: FlowField, confidence trust: [Float]) -> Correspondence {
        precondition(flow.width == width && flow.height == height && trust.count == width * height,
                     "flow and correspondence differ in size")
        let grid = Sampler(width: width, height: height)
        var outX = [Float](repeating: 0, count: width * height), outY = outX, outC = outX
        x.withUnsafeBufferPointer { mx in
        y.withUnsafeBufferPointer { my in
        confidence.withUnsafeBufferPointer { mc in
        flow.dx.withUnsafeBufferPointer { fx in
        flow.dy.withUnsafeBufferPointer { fy in
        trust.withUnsafeBufferPointer { tc in
        outX.withUnsafeMutableBufferPointer { ox in
        outY.withUnsafeMutableBufferPointer { oy in
        outC.withUnsafeMutableBufferPointer { oc in
            for p in 0..<(width * height) {
                let sx = mx[p], sy = my[p]
                let t = grid.taps(sx, sy)
                let ux = sx + Sampler.mix(fx, t), uy = sy + Sampler.mix(fy, t)
                ox[p] = ux
                oy[p] = uy
                oc[p] = grid.contains(ux, uy) ? mc[p] * Sampler.mix(tc, t) : 0
            }
        }}}}}}}}}
        return Correspondence(width: width, height: height, x: outX, y: outY, confidence: outC)
    }

    /// A plane of the other frame brought onto this frame's pixels (bilinear).
    public func warp(_ plane: [Float]) -> [Float] {
        warp([plane])[0]
    }

    /// Several planes of the other frame brought onto this frame's pixels, sharing the taps.
    public func warp(_ planes: [[Float]]) -> [[Float]] {
        precondition(planes.allSatisfy { $0.count == width * height }, "plane and correspondence differ in size")
        let grid = Sampler(width: width, height: height), n = width * height
        var out = [Float](repeating: 0, count: planes.count * n)
        // One flat input and one flat output, so the loop reads the taps once for every plane.
        let flat = planes.flatMap { $0 }
        flat.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                x.withUnsafeBufferPointer { mx in
                    y.withUnsafeBufferPointer { my in
                        for p in 0..<n {
                            let t = grid.taps(mx[p], my[p])
                            for k in 0..<planes.count {
                                let plane = UnsafeBufferPointer(rebasing: src[(k * n)..<((k + 1) * n)])
                                dst[k * n + p] = Sampler.mix(plane, t)
                            }
                        }
                    }
                }
            }
        }
        return (0..<planes.count).map { Array(out[($0 * n)..<(($0 + 1) * n)]) }
    }

    /// Share of pixels whose confidence is below `level`.
    public func share(below level: Float) -> Float {
        Float(confidence.reduce(0) { $0 + ($1 < level ? 1 : 0) }) / Float(confidence.count)
    }
}
