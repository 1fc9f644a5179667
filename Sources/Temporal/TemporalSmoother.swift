/// Streams frames through a TemporalFilter, one shot at a time.
///
/// Push frames in presentation order with the index of their shot; any change of
/// `shot` starts a new shot, and no frame is ever smoothed with frames of another
/// shot. Each frame comes back once its `radius` following frames (or the end of
/// its shot) are known, in order, so the output lags the input by `radius` frames.
/// At most 2 * radius + 1 frames are held.
public struct TemporalSmoother: Sendable {
    public let filter: TemporalFilter

    /// Frames of the current shot still needed, oldest first.
    private var held: [ChromaFrame] = []
    /// Each held frame's similarity guide (`TemporalFilter.guide`), computed once.
    private var guides: [[Float]] = []
    /// Position in the current shot of `held[0]`.
    private var heldStart = 0
    /// Position in the current shot of the next frame to return.
    private var nextOut = 0
    private var shot: Int?

    public init(filter: TemporalFilter) {
        self.filter = filter
    }

    public init(radius: Int, temporalSigma: Float? = nil, lumaSigma: Float = 0.04, guideBlurRadius: Int = 1) {
        self.init(filter: TemporalFilter(radius: radius, temporalSigma: temporalSigma,
                                         lumaSigma: lumaSigma, guideBlurRadius: guideBlurRadius))
    }

    /// Frames held right now (at most 2 * radius + 1 between calls).
    var heldCount: Int { held.count }

    /// Adds the next frame; returns the frames completed by it (possibly none, or
    /// the rest of the previous shot when this frame starts a new one).
    public mutating func push(_ frame: ChromaFrame, shot: Int) -> [ChromaFrame] {
        var out: [ChromaFrame] = []
        if let current = self.shot, current != shot { out = drain() }
        self.shot = shot
        held.append(frame)
        guides.append(filter.guide(of: frame))
        let newest = heldStart + held.count - 1
        while nextOut + filter.radius <= newest {
            out.append(emitNext())
        }
        return out
    }

    /// Returns the frames still held (the end of the last shot) and resets.
    public mutating func flush() -> [ChromaFrame] {
        let out = drain()
        shot = nil
        return out
    }

    private mutating func drain() -> [ChromaFrame] {
        var out: [ChromaFrame] = []
        while nextOut < heldStart + held.count { out.append(emitNext()) }
        held = []
        guides = []
        heldStart = 0
        nextOut = 0
        return out
    }

    /// Smooths frame `nextOut` with the held frames around it, then forgets the
    /// frames no later output needs.
    private mutating func emitNext() -> ChromaFrame {
        let lo = max(heldStart, nextOut - filter.radius)
        let hi = min(heldStart + held.count - 1, nextOut + filter.radius)
        let range = (lo - heldStart)...(hi - heldStart)
        let result = filter.smooth(window: Array(held[range]), center: nextOut - lo, guides: Array(guides[range]))
        nextOut += 1
        let keepFrom = nextOut - filter.radius
        if keepFrom > heldStart {
            held.removeFirst(min(held.count, keepFrom - heldStart))
            guides.removeFirst(min(guides.count, keepFrom - heldStart))
            heldStart = keepFrom
        }
        return result
    }
}
