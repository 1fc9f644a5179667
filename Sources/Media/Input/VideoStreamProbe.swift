import CFFmpeg
import Foundation

/// Picks the video stream of an open file and describes it from what the container says, before
/// anything is decoded; `completed` then corrects the description with the first real picture.
enum VideoStreamProbe {
    /// A video stream that is a film, not cover art.
    static func isFilm(_ st: UnsafeMutablePointer<AVStream>) -> Bool {
        st.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
            && st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
    }

    /// Stream `wanted` (a file-wide index, as ffprobe numbers them), or the first film stream.
    static func choose(_ wanted: Int?, in input: InputFile, url: URL) throws -> UnsafeMutablePointer<AVStream> {
        let streams = input.streams
        if let wanted {
            guard wanted >= 0, wanted < streams.count, isFilm(streams[wanted]) else {
                let indices = streams.filter(isFilm).map { String($0.pointee.index) }
                let list = indices.isEmpty ? "none" : indices.joined(separator: ", ")
                throw MediaError(.noVideoStream, url, "video stream \(wanted) does not exist (the file has video streams \(list))")
            }
            return streams[wanted]
        }
        guard let first = streams.first(where: isFilm) else {
            let others = streams.map { StreamDescription($0).description }
            throw MediaError(.noVideoStream, url, "no video stream"
                             + (others.isEmpty ? "" : " (it has: \(others.joined(separator: "; ")))"))
        }
        return first
    }

    /// The container's view of a stream: provisional until the first frame is decoded.
    struct Description {
        var info: VideoStreamInfo
        /// Where the container says the stream ends (start + stream duration), in the time base.
        var streamEnd: Int64?
        /// One frame at the guessed rate, in the time base: the duration of a frame that has none.
        var nominalDuration: Int64
    }

    static func describe(_ chosen: UnsafeMutablePointer<AVStream>, in input: InputFile) -> Description {
        let ctx = input.context!  // open: the stream was just chosen from it
        let par = chosen.pointee.codecpar!
        let guessedRate = av_guess_frame_rate(ctx, chosen, nil)
        let timeBase = chosen.pointee.time_base
        let nominalDuration = guessedRate.num > 0 && guessedRate.den > 0
            ? max(1, av_rescale_q(1, av_inv_q(guessedRate), timeBase)) : 1

        var info = VideoStreamInfo(width: Int(max(par.pointee.width, 1)), height: Int(max(par.pointee.height, 1)),
                                   timeBase: Rational(timeBase), frameRate: Rational(chosen.pointee.avg_frame_rate))
        info.index = Int(chosen.pointee.index)
        info.codecName = String(cString: avcodec_get_name(par.pointee.codec_id))
        info.realFrameRate = Rational(chosen.pointee.r_frame_rate)
        info.sampleAspectRatio = Rational(av_guess_sample_aspect_ratio(ctx, chosen, nil))
        var streamEnd: Int64?
        if chosen.pointee.start_time != noPTS { info.startPTS = chosen.pointee.start_time }
        if chosen.pointee.duration != noPTS && chosen.pointee.duration > 0 {
            info.durationPTS = chosen.pointee.duration
            streamEnd = (info.startPTS ?? 0) + chosen.pointee.duration
        } else if let tag = dictionaryValue(chosen.pointee.metadata, "DURATION"), let seconds = parseDuration(tag) {
            // Matroska files written by FFmpeg give each track's length only as this tag.
            info.durationPTS = av_rescale_q(Int64((seconds * 1_000_000).rounded()), kc_time_base_q(), timeBase)
            streamEnd = (info.startPTS ?? 0) + info.durationPTS!
        } else if ctx.pointee.duration != noPTS && ctx.pointee.duration > 0 {
            info.durationPTS = av_rescale_q(ctx.pointee.duration, kc_time_base_q(), timeBase)
        }
        if chosen.pointee.nb_frames > 0 {
            info.frameCountEstimate = Int(chosen.pointee.nb_frames)
            // AVI counts a dropped frame as an empty chunk that no decoder returns (the Megamind
            // sample: 271 stated, 270 decoded): no count to number frames by.
            if String(cString: ctx.pointee.iformat.pointee.name) != "avi" {
                info.declaredFrameCount = Int(chosen.pointee.nb_frames)
            }
        } else if let d = info.duration, guessedRate.num > 0, guessedRate.den > 0 {
            info.frameCountEstimate = Int((d * av_q2d(guessedRate)).rounded())
        }
        readDisplayMatrix(chosen, into: &info)
        info.colorRange = ColorRange(par.pointee.color_range)
        info.colorMatrix = ColorMatrix(rawValue: Int32(bitPattern: par.pointee.color_space.rawValue))
        info.colorPrimaries = ColorPrimaries(rawValue: Int32(bitPattern: par.pointee.color_primaries.rawValue))
        info.colorTransfer = ColorTransfer(rawValue: Int32(bitPattern: par.pointee.color_trc.rawValue))
        info.chromaLocation = Int32(bitPattern: par.pointee.chroma_location.rawValue)
        info.fieldOrder = par.pointee.field_order.rawValue
        return Description(info: info, streamEnd: streamEnd, nominalDuration: nominalDuration)
    }

    private static func readDisplayMatrix(_ stream: UnsafeMutablePointer<AVStream>, into info: inout VideoStreamInfo) {
        var sideSize: Int = 0
        guard let matrix = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &sideSize), sideSize >= 36 else { return }
        let values = matrix.withMemoryRebound(to: Int32.self, capacity: 9) { Array(UnsafeBufferPointer(start: $0, count: 9)) }
        info.displayMatrix = values
        let degrees = values.withUnsafeBufferPointer { av_display_rotation_get($0.baseAddress) }
        info.rotation = degrees.isFinite && degrees != 0 ? degrees : 0
    }

    /// `info` corrected by the first decoded frame: real size, depth, subsampling and pixel
    /// format, and the tags decoders read from the bitstream that the container may not repeat.
    static func completed(_ info: VideoStreamInfo, first: VideoFrame, picture: FirstPicture) -> VideoStreamInfo {
        var info = info
        info.width = first.width
        info.height = first.height
        info.bitDepth = first.bitDepth
        info.chroma = first.chroma
        info.pixelFormatName = picture.formatName
        info.lumaIsComputed = picture.layoutConverted
        if info.colorRange == .unspecified && first.fullRange { info.colorRange = .full }
        if picture.layoutConverted {
            // The frames are now YUV made by our converter: tag them as what they are.
            info.colorMatrix = first.height >= 720 ? .bt709 : .smpte170m
        }
        if info.colorMatrix == .unspecified { info.colorMatrix = picture.matrix }
        if info.colorPrimaries == .unspecified { info.colorPrimaries = picture.primaries }
        if info.colorTransfer == .unspecified { info.colorTransfer = picture.transfer }
        if info.fieldOrder == AV_FIELD_UNKNOWN.rawValue, let topFirst = picture.interlacedTopFirst {
            info.fieldOrder = (topFirst ? AV_FIELD_TT : AV_FIELD_BB).rawValue
        }
        return info
    }
}

/// What the first decoded picture says about the stream, beyond its samples.
struct FirstPicture {
    var formatName: String
    /// True when the pictures are converted (RGB, palette...) rather than copied.
    var layoutConverted: Bool
    var matrix: ColorMatrix
    var primaries: ColorPrimaries
    var transfer: ColorTransfer
    /// nil for a progressive picture.
    var interlacedTopFirst: Bool?
}

/// "01:02:03.500000000" → 3723.5; nil for anything else.
func parseDuration(_ text: String) -> Double? {
    let parts = text.split(separator: ":")
    guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let sec = Double(parts[2]) else { return nil }
    return h * 3600 + m * 60 + sec
}
