// KinecolorTemporal: smoothing of the network's chrominance over time inside a
// shot (TemporalFilter: the per-frame math; TemporalSmoother: the stream).

/// One frame at network resolution: the two chroma planes the network produced
/// (CIELAB a/b, Cb/Cr, ...: the caller's choice, smoothed alike) and the frame's
/// luma as a guide, in [0, 1]. Planes are row-major, width * height floats.
public struct ChromaFrame: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var luma: [Float]
    public var a: [Float]
    public var b: [Float]

    public init(width: Int, height: Int, luma: [Float], a: [Float], b: [Float]) {
        precondition(width > 0 && height > 0, "empty frame")
        let count = width * height
        precondition(luma.count == count && a.count == count && b.count == count,
                     "planes must hold width * height values")
        self.width = width
        self.height = height
        self.luma = luma
        self.a = a
        self.b = b
    }
}
