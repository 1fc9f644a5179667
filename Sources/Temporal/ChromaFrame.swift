// KinecolorTemporal: chroma over time inside a shot. KeyframePropagation carries the keyframes'
// chroma to the frames between them along the motion; TemporalFilter (the per-frame math) and
// TemporalSmoother (the stream) smooth what results, along the motion too.

import KinecolorMotion

/// One frame at network resolution: the two chroma planes (CIELAB a/b, Cb/Cr, ...: the caller's
/// choice, treated alike), the frame's luma as a guide, in [0, 1], and how the picture moved from
/// the previous frame of its shot. Planes are row-major, width * height floats.
public struct ChromaFrame: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var luma: [Float]
    public var a: [Float]
    public var b: [Float]
    /// From the previous frame of the shot to this one; nil for a shot's first frame, or where
    /// motion is unknown (then the frames are compared in place, as if nothing moved).
    public var motion: PairMotion?
    /// Whether the chroma is (nearly) final: carried along the motion from keyframes alone, or a
    /// restorer's reference (`KeyframePropagation`). Carried chroma is already a blend along the
    /// flows the smoother would follow, so smoothing it over the whole radius again changes little
    /// and cost most of the time between keyframes: such frames are averaged with their immediate
    /// neighbours only (`TemporalFilter.settledRadius`), and still serve as neighbours of others.
    public var settled: Bool

    public init(width: Int, height: Int, luma: [Float], a: [Float], b: [Float], motion: PairMotion? = nil,
                settled: Bool = false) {
        precondition(width > 0 && height > 0, "empty frame")
        let count = width * height
        precondition(luma.count == count && a.count == count && b.count == count,
                     "planes must hold width * height values")
        precondition(motion.map { $0.forward.width == width && $0.forward.height == height } ?? true,
                     "motion and planes differ in size")
        self.width = width
        self.height = height
        self.luma = luma
        self.a = a
        self.b = b
        self.motion = motion
        self.settled = settled
    }
}
