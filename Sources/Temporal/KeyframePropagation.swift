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
/// Push a shot's frames in order; a frame comes back once the next keyframe after it is known
/// (so at most the frames between two keyframes are held). Output depends only on the frames
/// from the keyframe before to the keyframe after, so a preview that pushes just those gets the
/// same bits as a render.
public struct KeyframePropagation {
    /// The shot's keyframes (film frame indices, sorted); the first frame pushed must be one.
    public let keyframes: [Int]
    public static let fillShare: Float = 0.05
    static let reachLevel: Float = 0.5

    public typealias Network = (LumaFrame) throws -> ChromaFrame

    private var previous: (frame: ChromaFrame, index: Int)?
    /// Frames after `previous`, waiting for the next keyframe, with their reach from `previous`.
    private var waiting: [(frame: LumaFrame, fromPrevious: Correspondence)] = []
    /// The reach from `previous` of the last frame pushed.
    private var reach: Correspondence?

    public init(keyframes: [Int]) {
        self.keyframes = keyframes
    }

    public func isKeyframe(_ index: Int) -> Bool { binarySearch(index) != nil }

    /// Adds the next frame of the shot; returns the frames completed by it, in order.
    public mutating func push(_ frame: LumaFrame, network: Network) throws -> [ChromaFrame] {
        guard let previous, let motion = frame.motion, !isKeyframe(frame.index) else {
            // A keyframe (or a frame nothing links to: it starts over).
            var key = try network(frame)
            key.motion = frame.motion
            let done = try finishWaiting(next: (key, frame.index), network: network)
            self.previous = (key, frame.index)
            reach = nil
            return done + [key]
        }
        let before = reach ?? Correspondence.identity(width: previous.frame.width, height: previous.frame.height)
        let next = before.reached(from: motion.backward, confidence: motion.backwardConfidence)
        reach = next
        waiting.append((frame, next))
        if nextKeyframe(after: frame.index) == nil { return try finishWaiting(next: nil, network: network) }
        return []
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
        guard let previous, !waiting.isEmpty else { waiting = []; return [] }
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
            out.append(try blend(frame, before: before, from: previous, after: after[i], from: next, network: network))
        }
        waiting = []
        return out
    }

    private func blend(_ frame: LumaFrame, before: Correspondence, from k0: (frame: ChromaFrame, index: Int),
                       after: Correspondence?, from k1: (frame: ChromaFrame, index: Int)?,
                       network: Network) throws -> ChromaFrame {
        let n = frame.width * frame.height
        var a = before.warp(k0.frame.a), b = before.warp(k0.frame.b)
        var reach = before.confidence
        if let after, let k1 {
            let afterA = after.warp(k1.frame.a), afterB = after.warp(k1.frame.b)
            let span = Float(k1.index - k0.index)
            let nearBefore = Float(k1.index - frame.index) / span, nearAfter = Float(frame.index - k0.index) / span
            for p in 0..<n {
                // A tiny floor keeps the blend defined where neither chain is trusted (then the
                // fill below, or the plain average of the two, decides).
                let wb = before.confidence[p] * nearBefore + 1e-4, wa = after.confidence[p] * nearAfter + 1e-4
                a[p] = (wb * a[p] + wa * afterA[p]) / (wb + wa)
                b[p] = (wb * b[p] + wa * afterB[p]) / (wb + wa)
                reach[p] = 1 - (1 - before.confidence[p]) * (1 - after.confidence[p])
            }
        }
        let lost = reach.reduce(0) { $0 + ($1 < Self.reachLevel ? 1 : 0) }
        if Float(lost) > Self.fillShare * Float(n) {
            let own = try network(frame)
            for p in 0..<n {
                a[p] = reach[p] * a[p] + (1 - reach[p]) * own.a[p]
                b[p] = reach[p] * b[p] + (1 - reach[p]) * own.b[p]
            }
        }
        return ChromaFrame(width: frame.width, height: frame.height, luma: frame.luma, a: a, b: b, motion: frame.motion)
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
