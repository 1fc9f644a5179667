import CFFmpeg
import Foundation

/// How the video will be encoded: the encoder, the pixel format it receives, and its clock.
/// Decided with the output plan, before anything is opened, so a missing encoder or a codec the
/// container cannot hold is refused up front.
struct EncoderSettings {
    let codec: UnsafePointer<AVCodec>
    /// FFmpeg's encoder name: `libx264`, `ffv1`, `prores_ks`.
    let name: String
    let codecID: AVCodecID
    let pixelFormat: AVPixelFormat
    let depth: Int
    let chroma: ChromaSubsampling
    /// The encoder's clock: the input's time base, so every pts is kept exactly; for AVI, one
    /// tick a frame.
    let timeBase: AVRational
    /// One frame at the nominal rate, in `timeBase`: the duration of a packet whose frame is unknown.
    let nominalDuration: Int64
    /// AVI stores frame order, not presentation times.
    let countsFrames: Bool

    init(_ options: EncodeOptions, video: VideoStreamInfo, container: Container, url: URL) throws {
        switch options.codec {
        case .h264: (name, codecID) = ("libx264", AV_CODEC_ID_H264)
        case .ffv1: (name, codecID) = ("ffv1", AV_CODEC_ID_FFV1)
        case .prores, .prores4444: (name, codecID) = ("prores_ks", AV_CODEC_ID_PRORES)
        case .dnxhr: (name, codecID) = ("dnxhd", AV_CODEC_ID_DNXHD)
        }
        if let problem = options.problem { throw MediaError(.codecUnavailable, url, problem) }
        guard let codec = avcodec_find_encoder_by_name(name) else {
            throw MediaError(.codecUnavailable, url, "the \(name) encoder is not in this FFmpeg build")
        }
        self.codec = codec
        if container.verdict(on: codecID) == 0 {
            throw MediaError(.unsupportedByContainer, url, "\(options.codec.rawValue) video cannot be stored in .\(container.ext)"
                             + container.suggestion(for: codecID))
        }
        (pixelFormat, depth, chroma) = Self.pixelFormat(options, video: video, codec: codec)
        if pixelFormat == AV_PIX_FMT_NONE {
            throw MediaError(.codecUnavailable, url, "the \(name) encoder in this FFmpeg build cannot write "
                             + "\(options.depth.map { "\($0)-bit " } ?? "")\(options.codec.rawValue) video")
        }

        // AVI counts frames: give it one tick per frame instead of a fine container clock.
        countsFrames = container.countsFrames
        let inputTimeBase = video.timeBase.av
        if countsFrames, video.realFrameRate.isKnown, av_cmp_q(av_inv_q(video.realFrameRate.av), inputTimeBase) > 0 {
            timeBase = av_inv_q(video.realFrameRate.av)
        } else {
            timeBase = inputTimeBase
        }
        let rate = video.frameRate
        nominalDuration = rate.isKnown ? max(1, av_rescale_q(1, av_inv_q(rate.av), timeBase)) : 1
    }

    var pixelFormatName: String { String(cString: kc_pixdesc_name(pixelFormat)) }

    /// Encoder pixel format, bit depth and subsampling for a codec and a stream.
    /// AV_PIX_FMT_NONE when the encoder cannot take the depth asked for.
    static func pixelFormat(_ options: EncodeOptions, video: VideoStreamInfo,
                            codec avcodec: UnsafePointer<AVCodec>) -> (AVPixelFormat, Int, ChromaSubsampling) {
        var supported: Set<Int32> = []
        if var p = avcodec.pointee.pix_fmts {
            while p.pointee != AV_PIX_FMT_NONE { supported.insert(p.pointee.rawValue); p += 1 }
        }
        func checked(_ depth: Int, _ chroma: ChromaSubsampling) -> (AVPixelFormat, Int, ChromaSubsampling) {
            let f = PlanarTarget.format(depth: depth, chroma: chroma)
            return (supported.contains(f.rawValue) ? f : AV_PIX_FMT_NONE, depth, chroma)
        }
        switch options.codec {
        case .h264:
            // 4:2:0 needs an even width and height. An odd-sized picture is encoded 4:4:4 (High 4:4:4
            // Predictive) instead, so the output keeps the input's exact size, neither cropped nor padded.
            let even = video.width % 2 == 0 && video.height % 2 == 0
            let chroma: ChromaSubsampling = even || !supported.contains(PlanarTarget.format(depth: 8, chroma: .yuv444).rawValue)
                ? .yuv420 : .yuv444
            if let depth = options.depth { return checked(depth, chroma) }
            let tenBit = PlanarTarget.format(depth: 10, chroma: chroma)
            if video.bitDepth > 8 && supported.contains(tenBit.rawValue) { return (tenBit, 10, chroma) }
            return (PlanarTarget.format(depth: 8, chroma: chroma), 8, chroma)
        case .ffv1:
            for depth in [8, 9, 10, 12, 14, 16] where depth >= (options.depth ?? video.bitDepth) {
                for chroma in [video.chroma, .yuv444] {
                    let f = PlanarTarget.format(depth: depth, chroma: chroma)
                    if f != AV_PIX_FMT_NONE && supported.contains(f.rawValue) { return (f, depth, chroma) }
                }
            }
            return (PlanarTarget.format(depth: 16, chroma: .yuv444), 16, .yuv444)
        case .prores:
            return (PlanarTarget.format(depth: 10, chroma: .yuv422), 10, .yuv422)
        case .prores4444:
            return checked(10, .yuv444)
        case .dnxhr:
            return checked(options.dnxhrProfile.depth, options.dnxhrProfile.chroma)
        }
    }

    /// x264 keeps `rc-lookahead` frames (40 at preset medium) plus its threads' frames in memory:
    /// 1.5 GB at 4K. Above HD the lookahead shrinks so that it holds about 64 MB of pictures
    /// (5 frames at 4K), which keeps a 4K render within 1 GB; up to 1080p nothing changes.
    /// Docs/benchmarks.md has the measurements.
    static func x264MemoryParams(width: Int, height: Int, bitDepth: Int) -> String {
        guard width * height > 1920 * 1088 else { return "" }
        let frameBytes = width * height * 3 / 2 * (bitDepth > 8 ? 2 : 1)
        let lookahead = min(40, max(5, (64 << 20) / max(1, frameBytes)))
        return ":rc-lookahead=\(lookahead):sync-lookahead=0"
    }

    /// Sets up an encoder context for `video` before it is opened.
    func configure(_ e: UnsafeMutablePointer<AVCodecContext>, options: EncodeOptions, video: VideoStreamInfo,
                   globalHeader: Bool) {
        e.pointee.width = Int32(video.width)
        e.pointee.height = Int32(video.height)
        e.pointee.pix_fmt = pixelFormat
        e.pointee.time_base = timeBase
        if video.frameRate.isKnown { e.pointee.framerate = video.frameRate.av }
        if video.sampleAspectRatio.isKnown { e.pointee.sample_aspect_ratio = video.sampleAspectRatio.av }
        e.pointee.color_range = video.colorRange.av
        var matrix = video.colorMatrix
        if options.codec == .h264 && matrix == .unspecified && video.colorRange != .unspecified {
            // x264 stores the range only beside a color description, so a range tagged without
            // a matrix would be lost. The matrix players assume for an untagged stream (BT.709
            // from 720 lines, BT.601 below) is also the one the chroma was computed in.
            matrix = video.height >= 720 ? .bt709 : .smpte170m
        }
        e.pointee.colorspace = AVColorSpace(UInt32(bitPattern: matrix.rawValue))
        e.pointee.color_primaries = AVColorPrimaries(UInt32(bitPattern: video.colorPrimaries.rawValue))
        e.pointee.color_trc = AVColorTransferCharacteristic(UInt32(bitPattern: video.colorTransfer.rawValue))
        e.pointee.chroma_sample_location = AVChromaLocation(UInt32(bitPattern: video.chromaLocation))
        e.pointee.field_order = AVFieldOrder(video.fieldOrder)
        // Interlaced film is coded as fields again (x264 and prores_ks read these flags), so a
        // deinterlacer downstream sees what the scanner or telecine produced.
        if video.isInterlaced && [.h264, .prores, .prores4444].contains(options.codec) {
            e.pointee.flags |= AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME
        }
        e.pointee.thread_count = 0   // 0 is "as many as the encoder can use" (the default is 1)
        // dnxhd refuses to open with frame threads (ff_frame_thread_encoder_init fails); its
        // slice threads use the cores as well.
        if options.codec == .dnxhr { e.pointee.thread_type = FF_THREAD_SLICE }
        if globalHeader { e.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        setPrivateOptions(e, options: options, video: video)
    }

    private func setPrivateOptions(_ e: UnsafeMutablePointer<AVCodecContext>, options: EncodeOptions, video: VideoStreamInfo) {
        let priv = e.pointee.priv_data
        switch options.codec {
        case .h264:
            av_opt_set(priv, "preset", options.preset, 0)
            av_opt_set(priv, "crf", String(options.crf), 0)
            // The encoder clock is the input's fine time base (1/12800 for a 25 fps MP4) so every
            // pts is exact; x264 would otherwise put that clock in the SPS timing info (12800 fps)
            // and demuxers then drop the packet durations. force-cfr makes the SPS say the frame
            // rate and leaves the timestamps alone.
            av_opt_set(priv, "x264-params", "force-cfr=1" + Self.x264MemoryParams(width: video.width, height: video.height,
                                                                                bitDepth: video.bitDepth), 0)
            // AVI stores no presentation times, only frame order: without B-frames every
            // frame's time is its position, so timestamps survive exactly.
            if countsFrames { e.pointee.max_b_frames = 0 }
        case .ffv1:
            e.pointee.level = 3        // version 3: per-slice CRCs, multithreaded, self-describing
            e.pointee.gop_size = 1     // every frame a keyframe: cut anywhere, damage stays local
            av_opt_set(priv, "slicecrc", "1", 0)
            av_opt_set(priv, "coder", "range_def", 0)
        case .prores:
            av_opt_set_int(priv, "profile", 3, 0)   // HQ
        case .prores4444:
            av_opt_set_int(priv, "profile", 4, 0)   // 4444
        case .dnxhr:
            av_opt_set(priv, "profile", options.dnxhrProfile.rawValue, 0)
        }
    }
}
