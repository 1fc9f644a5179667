/// Which frames of a shot the network colorizes; every other frame gets its chroma carried from
/// them along the motion (KinecolorTemporal).
public enum KeyframePolicy: Sendable, Equatable, CustomStringConvertible {
    /// The first frame of each shot, then wherever the color carried from the last keyframe no
    /// longer reaches enough of the picture, and at least every `KeyframePlanner.longestGap` frames.
    case auto
    /// Every Nth frame of each shot, counting from its first.
    case every(Int)
    /// Every frame (no propagation).
    case all

    /// The longest allowed gap between keyframes, in frames: the frames between two keyframes wait
    /// in memory until the second one is colorized, so this bounds the render's memory.
    public static let longestInterval = 48

    /// "auto", "all" or a whole number of frames in 1...longestInterval; nil for anything else.
    public init?(_ text: String) {
        switch text.lowercased() {
        case "auto": self = .auto
        case "all": self = .all
        default:
            guard let n = Int(text), (1...Self.longestInterval).contains(n) else { return nil }
            self = n == 1 ? .all : .every(n)
        }
    }

    public var description: String {
        switch self {
        case .auto: "auto"
        case .all: "all"
        case .every(let n): "\(n)"
        }
    }

    /// The keyframes of frames `range` (one shot) for the policies that do not look at motion.
    public func fixed(_ range: Range<Int>) -> [Int]? {
        switch self {
        case .auto: nil
        case .all: Array(range)
        case .every(let n): Array(stride(from: range.lowerBound, to: range.upperBound, by: n))
        }
    }
}

/// Places `auto` keyframes in one shot, streaming: the first frame is one; then each frame's
/// reach from the last keyframe is the chain of backward flows and their confidences
/// (`Correspondence.reached`), and a frame becomes a keyframe when more than `lostShare` of its
/// pixels are reached with confidence below `level` (something entered, a big move, an occlusion)
/// or `longestGap` frames have passed. Depends only on the frames, so every run places the same.
public struct KeyframePlanner: Sendable {
    public static let longestGap = 24
    static let level: Float = 0.5
    static let lostShare: Float = 0.05

    private var reach: Correspondence?
    private var sinceKeyframe = 0

    public init() {}

    /// Whether the next frame of the shot is a keyframe; `motion` is the pair from the previous
    /// frame of the shot to this one, nil for the shot's first frame.
    public mutating func place(motion: PairMotion?) -> Bool {
        guard let motion, sinceKeyframe + 1 < Self.longestGap else { return restart() }
        let from = reach ?? .identity(width: motion.backward.width, height: motion.backward.height)
        let next = from.reached(from: motion.backward, confidence: motion.backwardConfidence)
        if next.share(below: Self.level) > Self.lostShare { return restart() }
        reach = next
        sinceKeyframe += 1
        return false
    }

    private mutating func restart() -> Bool {
        reach = nil
        sinceKeyframe = 0
        return true
    }
}
