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
        /// Avid DNxHR (FFmpeg's dnxhd encoder) in the profile `dnxhrProfile`, for .mov or .mkv:
        /// LB, SQ, HQ are 8-bit 4:2:2, HQX 10-bit 4:2:2, 444 10-bit 4:4:4.
        case dnxhr
        /// prores_ks profile 4444 (4), yuv444p10le: chroma is kept at full resolution.
        case prores4444
    }

    /// The DNxHR profiles, named as FFmpeg's `-profile:v` names them.
    public enum DNxHRProfile: String, Sendable, CaseIterable {
        case lb = "dnxhr_lb", sq = "dnxhr_sq", hq = "dnxhr_hq", hqx = "dnxhr_hqx", dnxhr444 = "dnxhr_444"

        /// The one bit depth FFmpeg's encoder takes in this profile.
        public var depth: Int { self == .hqx || self == .dnxhr444 ? 10 : 8 }
        var chroma: ChromaSubsampling { self == .dnxhr444 ? .yuv444 : .yuv422 }
    }

    /// The output bit depths `depth` may ask for.
    public static let depths = [8, 10, 16]

    public var codec: Codec
    /// x264 constant rate factor; lower is better quality. Ignored by ffv1 and prores.
    public var crf: Int
    /// The constant rate factors libx264 accepts at 8 bits.
    public static let crfRange: ClosedRange<Int> = 0...51
    /// x264 preset (ultrafast ... placebo). Ignored by ffv1 and prores.
    public var preset: String
    /// The DNxHR profile; only with `.dnxhr`.
    public var dnxhrProfile: DNxHRProfile
    /// Bits per sample of the encoded video; nil: the codec's choice for the input (see each
    /// codec). Deeper than the input, samples are shifted left (exact); shallower, rounded.
    public var depth: Int?

    public init(codec: Codec = .h264, crf: Int = 16, preset: String = "medium",
                dnxhrProfile: DNxHRProfile = .hq, depth: Int? = nil) {
        self.codec = codec
        self.crf = crf
        self.preset = preset
        self.dnxhrProfile = dnxhrProfile
        self.depth = depth
    }

    /// The depths each codec can write; nil when the codec picks its own from the input only.
    public var allowedDepths: [Int] {
        switch codec {
        case .h264: return [8, 10]
        case .ffv1: return [8, 10, 16]
        case .prores, .prores4444: return [10]
        case .dnxhr: return [dnxhrProfile.depth]
        }
    }

    /// Why this combination cannot be written ("--codec h264 cannot write 16-bit video (8 or
    /// 10)"), or nil: checked before any work.
    public var problem: String? {
        if let depth, !allowedDepths.contains(depth) {
            let name = codec == .dnxhr ? "\(codec.rawValue) \(dnxhrProfile.rawValue)" : codec.rawValue
            let allowed = allowedDepths.map(String.init).joined(separator: " or ")
            return "\(name) cannot write \(depth)-bit video (it writes \(allowed)-bit)"
        }
        return nil
    }
}
