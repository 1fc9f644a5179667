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
        precondition(flow.width == width && flow.height == height, "flow and correspondence differ in size")
        let grid = Sampler(width: width, height: height)
        var out = Correspondence(width: width, height: height, x: x, y: y,
                                 confidence: [Float](repeating: 0, count: width * height))
        x.withUnsafeBufferPointer { mx in
            y.withUnsafeBufferPointer { my in
                confidence.withUnsafeBufferPointer { mc in
                    for row in 0..<height {
                        for col in 0..<width {
                            let p = row * width + col
                            let sx = Float(col) + flow.dx[p], sy = Float(row) + flow.dy[p]
                            out.x[p] = grid.sample(mx, sx, sy)
                            out.y[p] = grid.sample(my, sx, sy)
                            if grid.contains(sx, sy) { out.confidence[p] = trust[p] * grid.sample(mc, sx, sy) }
                        }
                    }
                }
            }
        }
        return out
    }

    /// `self` maps frame c to frame s; `flow` goes from s to a farther frame u (on s's pixels, with
    /// its confidence). The result maps c to u: the chain grows at the far end, as when a frame
    /// looks one more frame away for its neighbours.
    public func extended(by flow: FlowField, confidence trust: [Float]) -> Correspondence {
        precondition(flow.width == width && flow.height == height, "flow and correspondence differ in size")
        let grid = Sampler(width: width, height: height)
        var out = self
        flow.dx.withUnsafeBufferPointer { fx in
            flow.dy.withUnsafeBufferPointer { fy in
                trust.withUnsafeBufferPointer { tc in
                    for p in 0..<(width * height) {
                        let sx = x[p], sy = y[p]
                        out.x[p] = sx + grid.sample(fx, sx, sy)
                        out.y[p] = sy + grid.sample(fy, sx, sy)
                        out.confidence[p] = grid.contains(out.x[p], out.y[p]) ? confidence[p] * grid.sample(tc, sx, sy) : 0
                    }
                }
            }
        }
        return out
    }

    /// A plane of the other frame brought onto this frame's pixels (bilinear).
    public func warp(_ plane: [Float]) -> [Float] {
        precondition(plane.count == width * height, "plane and correspondence differ in size")
        let grid = Sampler(width: width, height: height)
        return plane.withUnsafeBufferPointer { src in
            (0..<(width * height)).map { grid.sample(src, x[$0], y[$0]) }
        }
    }

    /// Share of pixels whose confidence is below `level`.
    public func share(below level: Float) -> Float {
        Float(confidence.reduce(0) { $0 + ($1 < level ? 1 : 0) }) / Float(confidence.count)
    }
}
