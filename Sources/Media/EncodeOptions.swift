/// How `MediaWriter` encodes the video stream. Audio and subtitles are never re-encoded.
public struct EncodeOptions: Sendable, Equatable {
    public enum Codec: String, Sendable, CaseIterable {
        /// libx264, CRF `crf`, preset `preset`, 4:2:0 (4:2:2 and 4:4:4 chroma is averaged down);
        /// 4:4:4 when the width or height is odd, which 4:2:0 cannot hold.
        /// 10-bit (yuv420p10le) when the input has more than 8 bits and the installed libx264
        /// supports it (deeper samples are rounded to 10 bits), else 8-bit. No B-frames in AVI,
        /// which stores frame order only.
        case h264
        /// FFV1 version 3, lossless: same bit depth as the frames (rounded up to one FFV1
        /// supports) and the input's chroma subsampling, so the luma round-trips bit-exactly.
        case ffv1
        /// prores_ks profile HQ (3), yuv422p10le, for .mov or .mkv. 8-bit samples are shifted
        /// left by 2 (235 → 940, the same limited-range white; full-range 255 becomes 1020),
        /// 4:2:0 chroma rows are repeated to 4:2:2, 4:4:4 chroma pairs averaged.
        case prores
    }

    public var codec: Codec
    /// x264 constant rate factor; lower is better quality. Ignored by ffv1 and prores.
    public var crf: Int
    /// The constant rate factors libx264 accepts at 8 bits.
    public static let crfRange: ClosedRange<Int> = 0...51
    /// x264 preset (ultrafast ... placebo). Ignored by ffv1 and prores.
    public var preset: String
    public init(codec: Codec = .h264, crf: Int = 16, preset: String = "medium") {
        self.codec = codec
        self.crf = crf
        self.preset = preset
    }
}
