/// One picture in planar YUV, with its presentation time.
///
/// Samples are stored as `UInt16` whatever the bit depth, so 8- and 16-bit sources share one
/// code path; an 8-bit frame holds 0…255. Planes are row-major with no padding.
public struct VideoFrame: Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// Bits per sample, 8…16, for all three planes.
    public var bitDepth: Int
    /// True for full range (0…2^bitDepth−1), false for limited (16…235 at 8 bits).
    public var fullRange: Bool
    /// Layout of `u` and `v` relative to `y`.
    public var chroma: ChromaSubsampling
    /// Luma, `width × height`. From the reader: exactly the decoded samples (unless the
    /// stream's `lumaIsComputed`). The writer encodes it as given.
    public var y: [UInt16]
    /// Cb, `chromaWidth × chromaHeight`.
    public var u: [UInt16]
    /// Cr, `chromaWidth × chromaHeight`.
    public var v: [UInt16]
    /// Presentation time in the stream's time base, exactly as the container stored it.
    public var pts: Int64
    /// How long the frame is shown, in the stream's time base (from the container, or the
    /// nominal frame duration when the container does not say).
    public var duration: Int64
    /// 0-based position among presented frames.
    public var index: Int

    public init(width: Int, height: Int, bitDepth: Int, fullRange: Bool, chroma: ChromaSubsampling,
                y: [UInt16], u: [UInt16], v: [UInt16], pts: Int64, duration: Int64, index: Int) {
        precondition((8...16).contains(bitDepth), "bit depth \(bitDepth) is outside 8...16")
        precondition(y.count == width * height, "luma plane has \(y.count) samples, expected \(width * height)")
        let chromaCount = chroma.planeWidth(width) * chroma.planeHeight(height)
        precondition(u.count == chromaCount && v.count == chromaCount,
                     "chroma planes have \(u.count)/\(v.count) samples, expected \(chromaCount)")
        self.width = width
        self.height = height
        self.bitDepth = bitDepth
        self.fullRange = fullRange
        self.chroma = chroma
        self.y = y
        self.u = u
        self.v = v
        self.pts = pts
        self.duration = duration
        self.index = index
    }

    /// A frame with the given luma and neutral (gray) chroma.
    public init(width: Int, height: Int, bitDepth: Int = 8, fullRange: Bool = false,
                chroma: ChromaSubsampling = .yuv420, y: [UInt16], pts: Int64, duration: Int64, index: Int) {
        let count = chroma.planeWidth(width) * chroma.planeHeight(height)
        let mid = UInt16(1 << (bitDepth - 1))
        self.init(width: width, height: height, bitDepth: bitDepth, fullRange: fullRange, chroma: chroma,
                  y: y, u: [UInt16](repeating: mid, count: count), v: [UInt16](repeating: mid, count: count),
                  pts: pts, duration: duration, index: index)
    }

    public var chromaWidth: Int { chroma.planeWidth(width) }
    public var chromaHeight: Int { chroma.planeHeight(height) }

    /// The chroma value meaning "no color" (128 at 8 bits).
    public var neutralChroma: UInt16 { UInt16(1 << (bitDepth - 1)) }

    /// Luma as Float in [0, 1]: black → 0, white → 1, honoring the range. Limited-range
    /// footroom and headroom (below 16 / above 235 at 8 bits) are clamped.
    public func lumaAsFloat() -> [Float] {
        let scale = Float(1 << (bitDepth - 8))
        let black: Float = fullRange ? 0 : 16 * scale
        let span: Float = fullRange ? Float((1 << bitDepth) - 1) : 219 * scale
        // Division rather than multiplying by 1/span: exact at black and white, and 51/255 is 0.2.
        return y.map { min(max((Float($0) - black) / span, 0), 1) }
    }
}
