import KinecolorMotion

/// A frame of a shot before it has chroma: its index in the film, its luma at network resolution
/// and the motion from the previous frame of the shot.
public struct LumaFrame: Sendable {
    public let index: Int
    public let width: Int
    public let height: Int
    public let luma: [Float]
    public let motion: PairMotion?

    public init(index: Int, width: Int, height: Int, luma: [Float], motion: PairMotion?) {
        precondition(luma.count == width * height, "luma must hold width * height values")
        self.index = index
        self.width = width
        self.height = height
        self.luma = luma
        self.motion = motion
    }
}

/// Gives each frame of a shot its chroma, asking the network only for keyframes (and where
/// nothing reaches): frames between two keyframes get the chroma of both carried along the chain
/// of flows (`Correspondence`: resampled once from each keyframe), blended by
///   w_before = c_before(p) * (k1 - t) / (k1 - k0),   w_after = c_after(p) * (t - k0) / (k1 - k0),
/// the chains' confidences weighted by closeness, so the color hands over smoothly from one
/// keyframe to the next. The reach r = 1 - (1 - c_before)(1 - c_after) says how much of that is
/// trustworthy; when more than `fillShare` of the frame has r < 0.5 (something entered that no
/// keyframe sees), the network colorizes the frame too and fills in: r * carried + (1 - r) * own.
///
/// With references (`init(references:)`) the keyframes are the frames a restorer painted, and the
/// closure gives their chroma for those frames and the network's (color-matched) for fills. A shot
/// need not start with one: frames before the first are carried back from it, frames after the
/// last forward from it, and a frame no reference reaches is the closure's fill alone. Frames wait
/// for the next reference only when it is at most `reachBack` frames ahead, which bounds memory.
///
/// Push a shot's frames in order; a frame comes back once the next keyframe after it is known
/// (so at most the frames between two keyframes are held). Output depends only on the frames
/// from the keyframe before to the keyframe after, so a preview that pushes just those gets the
/// same bits as a render.
public struct KeyframePropagation {
    /// The shot's keyframes (film frame indices, sorted). Without references the first frame
    /// pushed must be one.
    public let keyframes: [Int]
    /// Whether the keyframes are references (see above) rather than frames the network colorizes.
    public let fromReferences: Bool
    /// How far before a keyframe its color is carried back (frames).
    public let reachBack: Int
    public static let fillShare: Float = 0.05
    /// How far a reference's color is carried back: a frame waits for the next reference only
    /// this close to it (every frame in between is held, at full size in a render).
    public static let referenceReachBack = 96
    static let reachLevel: Float = 0.5

    /// The chroma of a frame: the network's (or a reference's, for a reference frame).
    public typealias Network = (LumaFrame) throws -> ChromaFrame

    private var previous: (frame: ChromaFrame, index: Int)?
    /// Frames waiting for the next keyframe, with their reach from `previous` (nil: none before).
    private var waiting: [(frame: LumaFrame, fromPrevious: Correspondence?)] = []
    /// The reach from `previous` of the last frame pushed.
    private var reach: Correspondence?

    public init(keyframes: [Int]) {
        self.keyframes = keyframes
        fromReferences = false
        reachBack = Int.max
    }

    /// Carries the chroma of the frames `references` (sorted) through the shot.
    public init(references: [Int], reachBack: Int = KeyframePropagation.referenceReachBack) {
        precondition(reachBack >= 0, "reachBack must be >= 0")
        keyframes = references
        fromReferences = true
        self.reachBack = reachBack
    }

    public func isKeyframe(_ index: Int) -> Bool { binarySearch(index) != nil }

    /// Adds the next frame of the shot; returns the frames completed by it, in order.
    public mutating func push(_ frame: LumaFrame, network: Network) throws -> [ChromaFrame] {
        let linked = previous != nil && frame.motion != nil
        if isKeyframe(frame.index) || (!linked && !fromReferences) {
            // A keyframe (or, without references, a frame nothing links to: it starts over).
            var key = try network(frame)
            key.motion = frame.motion
            // A reference is the restorer's color: nothing smooths it away.
            key.settled = fromReferences && isKeyframe(frame.index)
            let done = try finishWaiting(next: (key, frame.index), network: network)
            self.previous = (key, frame.index)
            reach = nil
            return done + [key]
        }
        var done: [ChromaFrame] = []
        var next: Correspondence?
        if linked, let previous, let motion = frame.motion {
            let before = reach ?? Correspondence.identity(width: previous.frame.width, height: previous.frame.height)
            next = before.reached(from: motion.backward, confidence: motion.backwardConfidence)
        } else if previous != nil {
            // A break in the links: what came before no longer reaches past it.
            done = try finishWaiting(next: nil, network: network)
            previous = nil
        }
        reach = next
        waiting.append((frame, next))
        guard let ahead = nextKeyframe(after: frame.index), ahead - frame.index <= reachBack else {
            return try done + finishWaiting(next: nil, network: network)
        }
        return done
    }

    /// The frames still waiting (the shot ended, or the pushed range did, before a keyframe).
    public mutating func flush(network: Network) throws -> [ChromaFrame] {
        let done = try finishWaiting(next: nil, network: network)
        previous = nil
        reach = nil
        return done
    }

    /// Colors the waiting frames from `previous` and, when given, the keyframe after them.
    private mutating func finishWaiting(next: (frame: ChromaFrame, index: Int)?, network: Network) throws -> [ChromaFrame] {
        guard !waiting.isEmpty else { return [] }
        var after: [Correspondence?] = Array(repeating: nil, count: waiting.count)
        if let next {
            // Back from the next keyframe: frame s reaches it through s + 1 (the flow s -> s + 1).
            var chain = Correspondence.identity(width: next.frame.width, height: next.frame.height)
            var link = next.frame.motion
            for i in waiting.indices.reversed() {
                guard let m = link else { break }
                chain = chain.reached(from: m.forward, confidence: m.forwardConfidence)
                after[i] = chain
                link = waiting[i].frame.motion
            }
        }
        var out: [ChromaFrame] = []
        for (i, (frame, before)) in waiting.enumerated() {
            out.append(try blend(frame, before: before.map { ($0, previous!) }, after: after[i].map { ($0, next!) },
                                 network: network))
        }
        waiting = []
        return out
    }

    private func blend(_ frame: LumaFrame, before: (Correspondence, from: (frame: ChromaFrame, index: Int))?,
                       after: (Correspondence, from: (frame: ChromaFrame, index: Int))?,
                       network: Network) throws -> ChromaFrame {
        let n = frame.width * frame.height
        var a: [Float], b: [Float], reach: [Float]
        switch (before, after) {
        case let ((chain0, k0)?, (chain1, k1)?):
            a = chain0.warp(k0.frame.a)
            b = chain0.warp(k0.frame.b)
            reach = chain0.confidence
            let afterA = chain1.warp(k1.frame.a), afterB = chain1.warp(k1.frame.b)
            let span = Float(k1.index - k0.index)
            let nearBefore = Float(k1.index - frame.index) / span, nearAfter = Float(frame.index - k0.index) / span
            for p in 0..<n {
                // A tiny floor keeps the blend defined where neither chain is trusted (then the
                // fill below, or the plain average of the two, decides).
                let wb = chain0.confidence[p] * nearBefore + 1e-4, wa = chain1.confidence[p] * nearAfter + 1e-4
                a[p] = (wb * a[p] + wa * afterA[p]) / (wb + wa)
                b[p] = (wb * b[p] + wa * afterB[p]) / (wb + wa)
                reach[p] = 1 - (1 - chain0.confidence[p]) * (1 - chain1.confidence[p])
            }
        case let ((chain, k)?, nil), let (nil, (chain, k)?):
            a = chain.warp(k.frame.a)
            b = chain.warp(k.frame.b)
            reach = chain.confidence
        case (nil, nil):
            a = [Float](repeating: 0, count: n)
            b = a
            reach = a
        }
        let lost = reach.reduce(0) { $0 + ($1 < Self.reachLevel ? 1 : 0) }
        let filled = Float(lost) > Self.fillShare * Float(n)
        if filled {
            var own = try network(frame)
            if fromReferences { nudge(&own, toward: (a, b), reach: reach, width: frame.width, height: frame.height) }
            for p in 0..<n {
                a[p] = reach[p] * a[p] + (1 - reach[p]) * own.a[p]
                b[p] = reach[p] * b[p] + (1 - reach[p]) * own.b[p]
            }
        }
        return ChromaFrame(width: frame.width, height: frame.height, luma: frame.luma, a: a, b: b, motion: frame.motion,
                           settled: !filled)
    }

    /// Radius of `nudge`'s neighbourhood, as a share of the frame's short side.
    static let nudgeRadiusShare: Float = 0.125
    /// The reach from which a pixel's carried color counts in `nudge`.
    static let nudgeLevel: Float = 0.9

    /// Brings the fill's colors toward the references' where they reach nearby: the difference
    /// carried − own, averaged over a neighbourhood with the reach as weight where it is at least
    /// `nudgeLevel` (normalized convolution), is added to `own`. An object half reached (a face
    /// that turned) then gets the reference's color on its other half too, not the network's;
    /// where nothing is reached nearby the correction fades to nothing (the weight's floor is a
    /// tenth of a fully reached neighbourhood).
    private func nudge(_ own: inout ChromaFrame, toward carried: (a: [Float], b: [Float]), reach: [Float], width: Int, height: Int) {
        let n = width * height
        // Only pixels the references reach surely say what color is nearby: a half-trusted carry
        // (an edge of something that entered) would spread the background's color into it.
        let weight = reach.map { $0 >= Self.nudgeLevel ? $0 : 0 }
        var da = [Float](repeating: 0, count: n), db = da
        for p in 0..<n {
            da[p] = weight[p] * (carried.a[p] - own.a[p])
            db[p] = weight[p] * (carried.b[p] - own.b[p])
        }
        let radius = max(1, Int(Float(min(width, height)) * Self.nudgeRadiusShare))
        let wa = boxBlur(da, width: width, height: height, radius: radius)
        let wb = boxBlur(db, width: width, height: height, radius: radius)
        let w = boxBlur(weight, width: width, height: height, radius: radius)
        for p in 0..<n {
            let norm = max(w[p], 0.1)
            own.a[p] += wa[p] / norm
            own.b[p] += wb[p] / norm
        }
    }

    private func binarySearch(_ index: Int) -> Int? {
        let i = lowerBound(index)
        return i < keyframes.count && keyframes[i] == index ? i : nil
    }

    private func nextKeyframe(after index: Int) -> Int? {
        let i = lowerBound(index + 1)
        return i < keyframes.count ? keyframes[i] : nil
    }

    private func lowerBound(_ index: Int) -> Int {
        var lo = 0, hi = keyframes.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if keyframes[mid] < index { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
