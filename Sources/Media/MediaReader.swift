import CFFmpeg
import Foundation

/// Decodes one video stream of a file into `VideoFrame`s, in presentation order.
///
/// Damaged data policy — conceal and warn, never crash, never shorten silently:
/// * A packet the decoder rejects, or a frame it flags as corrupt, is concealed by the decoder
///   (the damaged area is filled from neighbours) and counted in `damagedPacketCount` /
///   `concealedFrameCount`, with a one-line note naming the frame and time in `warnings`.
///   Films are long and a few bad macroblocks should not cost the whole run.
/// * A demuxer failure other than end of file (I/O error, unreadable container mid-file)
///   throws a one-line `MediaError` naming the last good frame and its time, because going on
///   would silently produce a shorter film. A file truncated by a broken download usually just
///   ends early (libavformat reports end of file): the frames read so far are returned, and a
///   warning says how many of the announced frames arrived.
/// * If not a single frame decodes, `init` throws.
///
/// The first frame is decoded in `init`, so `video` describes real pictures (pixel format,
/// bit depth, range) rather than container guesses. Not thread-safe: use from one task.
public final class MediaReader {
    public let url: URL
    /// The stream being decoded.
    public private(set) var video: VideoStreamInfo
    /// Every other stream of the file (audio, subtitles, other video, cover art...), for messages.
    public let otherStreams: [StreamDescription]
    /// Packets the decoder rejected (their pictures are concealed or missing).
    public private(set) var damagedPacketCount = 0
    /// Frames the decoder delivered with concealed damage.
    public private(set) var concealedFrameCount = 0
    /// One-line notes about damage and repairs, at most `maxWarnings` (then a final count line).
    public private(set) var warnings: [String] = []
    /// Frames returned so far by `nextFrame()`.
    public private(set) var framesRead = 0

    private static let maxWarnings = 20

    /// Largest picture the reader accepts: 16384 pixels a side and 12288×8192 (12K, about 100
    /// megapixels) in all. Beyond that a frame costs gigabytes at every stage; such a size in a
    /// small file is a damaged or hostile header.
    public static let maximumPictureSide = 16384
    public static let maximumPicturePixels = 12288 * 8192

    /// Why a `width`×`height` picture is refused, or nil when it is within the limits.
    static func sizeProblem(width: Int, height: Int) -> String? {
        guard width > maximumPictureSide || height > maximumPictureSide || width * height > maximumPicturePixels else { return nil }
        let megapixels = String(format: "%.0f", Double(width) * Double(height) / 1e6)
        return "the picture is \(width)x\(height) (\(megapixels) megapixels), more than kinecolor handles "
            + "(\(maximumPictureSide) pixels a side, \(maximumPicturePixels / 1_000_000) megapixels); the header may be damaged"
    }
    private var suppressedWarnings = 0
    private var format: UnsafeMutablePointer<AVFormatContext>?
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private let converter = RGBConverter()
    private let streamIndex: Int32
    private let nominalDuration: Int64
    private var inputEnded = false
    private var decoderDrained = false
    private var lastPTS: Int64?
    private var lastDuration: Int64 = 0
    private var lastSize: (Int, Int)?
    private var warnedSynthesizedPTS = false
    private var buffered: VideoFrame?
    private var pendingError: Error?
    /// Where the container says the stream ends (start + stream duration), in the time base.
    private var streamEnd: Int64?

    /// Opens `url` and prepares to decode its first video stream, or stream `videoStream`
    /// (a file-wide stream index, as ffprobe numbers them). Cover art is never chosen.
    /// `threads` is passed to the decoder; 0 lets FFmpeg pick.
    public init(url: URL, videoStream: Int? = nil, threads: Int = 0) throws {
        self.url = url
        let ctx = try openInput(url)
        format = ctx
        let streams = ctx.streamList
        let isVideo = { (st: UnsafeMutablePointer<AVStream>) -> Bool in
            st.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
                && st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
        }
        let videoIndices = streams.filter(isVideo).map { Int($0.pointee.index) }
        let chosen: UnsafeMutablePointer<AVStream>
        if let wanted = videoStream {
            let list = videoIndices.isEmpty ? "none" : videoIndices.map(String.init).joined(separator: ", ")
            guard wanted >= 0, wanted < streams.count, isVideo(streams[wanted]) else {
                var c: UnsafeMutablePointer<AVFormatContext>? = ctx
                avformat_close_input(&c)
                format = nil
                throw MediaError(.noVideoStream, url,
                                 "video stream \(wanted) does not exist (the file has video streams \(list))")
            }
            chosen = streams[wanted]
        } else {
            guard let first = streams.first(where: isVideo) else {
                let others = streams.map { StreamDescription($0).description }
                var c: UnsafeMutablePointer<AVFormatContext>? = ctx
                avformat_close_input(&c)
                format = nil
                throw MediaError(.noVideoStream, url, "no video stream"
                                 + (others.isEmpty ? "" : " (it has: \(others.joined(separator: "; ")))"))
            }
            chosen = first
        }
        streamIndex = chosen.pointee.index
        otherStreams = streams.filter { $0 != chosen }.map(StreamDescription.init)
        for st in streams where st != chosen { st.pointee.discard = AVDISCARD_ALL }

        let par = chosen.pointee.codecpar!
        let guessedRate = av_guess_frame_rate(ctx, chosen, nil)
        let timeBase = chosen.pointee.time_base
        nominalDuration = guessedRate.num > 0 && guessedRate.den > 0
            ? max(1, av_rescale_q(1, av_inv_q(guessedRate), timeBase)) : 1

        // A provisional description (container values) so messages during the first decode work.
        var info = VideoStreamInfo(width: Int(max(par.pointee.width, 1)), height: Int(max(par.pointee.height, 1)),
                                   timeBase: Rational(timeBase), frameRate: Rational(chosen.pointee.avg_frame_rate))
        info.index = Int(streamIndex)
        info.codecName = String(cString: avcodec_get_name(par.pointee.codec_id))
        info.realFrameRate = Rational(chosen.pointee.r_frame_rate)
        info.sampleAspectRatio = Rational(av_guess_sample_aspect_ratio(ctx, chosen, nil))
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
        } else if let d = info.duration, guessedRate.num > 0, guessedRate.den > 0 {
            info.frameCountEstimate = Int((d * av_q2d(guessedRate)).rounded())
        }
        var sideSize: Int = 0
        if let matrix = av_stream_get_side_data(chosen, AV_PKT_DATA_DISPLAYMATRIX, &sideSize), sideSize >= 36 {
            let values = matrix.withMemoryRebound(to: Int32.self, capacity: 9) { Array(UnsafeBufferPointer(start: $0, count: 9)) }
            info.displayMatrix = values
            let degrees = values.withUnsafeBufferPointer { av_display_rotation_get($0.baseAddress) }
            info.rotation = degrees.isFinite && degrees != 0 ? degrees : 0
        }
        info.colorRange = ColorRange(par.pointee.color_range)
        info.colorMatrix = ColorMatrix(rawValue: Int32(bitPattern: par.pointee.color_space.rawValue))
        info.colorPrimaries = ColorPrimaries(rawValue: Int32(bitPattern: par.pointee.color_primaries.rawValue))
        info.colorTransfer = ColorTransfer(rawValue: Int32(bitPattern: par.pointee.color_trc.rawValue))
        info.chromaLocation = Int32(bitPattern: par.pointee.chroma_location.rawValue)
        info.fieldOrder = par.pointee.field_order.rawValue
        video = info

        // From here on a throw runs deinit, which frees everything.
        // A few bytes of header can claim a picture of gigabytes: refuse before decoding one.
        if let problem = Self.sizeProblem(width: Int(par.pointee.width), height: Int(par.pointee.height)) {
            throw MediaError(.decodeFailed, url, problem)
        }
        guard let codec = avcodec_find_decoder(par.pointee.codec_id) else {
            let name = String(cString: avcodec_get_name(par.pointee.codec_id))
            throw MediaError(.codecUnavailable, url, "no decoder for \(name) video in this FFmpeg build")
        }
        decoder = avcodec_alloc_context3(codec)
        packet = av_packet_alloc()
        frame = av_frame_alloc()
        guard let decoder, packet != nil, frame != nil else {
            throw MediaError(.cannotOpen, url, "out of memory")
        }
        avcodec_parameters_to_context(decoder, par)
        decoder.pointee.pkt_timebase = chosen.pointee.time_base
        // FFmpeg's automatic choice is one frame thread more than there are cores, and above HD
        // each frame thread holds picture-sized state: one per core decodes as fast for less.
        let automatic = threads == 0 && Int(par.pointee.width) * Int(par.pointee.height) > 1920 * 1088
        decoder.pointee.thread_count = Int32(automatic ? ProcessInfo.processInfo.activeProcessorCount : threads)
        decoder.pointee.thread_type = FF_THREAD_FRAME | FF_THREAD_SLICE
        let opened = avcodec_open2(decoder, codec, nil)
        guard opened >= 0 else {
            throw MediaError(.codecUnavailable, url,
                             "cannot open the \(String(cString: codec.pointee.name)) decoder (\(ffErrorText(opened)))")
        }

        // Decode the first picture now: it fixes the real pixel format, and a file whose
        // video cannot be decoded at all is rejected here, at open time.
        guard let first = try decodeNext() else {
            let reason = damagedPacketCount > 0
                ? "\(damagedPacketCount) damaged packets, the first: \(firstDamage ?? "unknown error")"
                : (info.frameCountEstimate ?? 0) > 0
                    ? "none of the ~\(info.frameCountEstimate!) announced frames is in the file; it may be truncated"
                    : "the stream is empty"
            // The size the decoder last saw (the bitstream's own claim), else the container's.
            let (w, h) = decoder.pointee.width > 0 && decoder.pointee.height > 0
                ? (Int(decoder.pointee.width), Int(decoder.pointee.height)) : (info.width, info.height)
            throw MediaError(.decodeFailed, url,
                             "no video frame could be decoded from stream \(streamIndex), \(info.codecName) \(w)x\(h) (\(reason))")
        }
        buffered = first
        info.width = first.width
        info.height = first.height
        info.bitDepth = first.bitDepth
        info.chroma = first.chroma
        info.pixelFormatName = firstFormatName
        info.lumaIsComputed = firstLayoutConverted
        if info.colorRange == .unspecified && first.fullRange { info.colorRange = .full }
        if firstLayoutConverted {
            // The frames are now YUV made by our converter: tag them as what they are.
            info.colorMatrix = first.height >= 720 ? .bt709 : .smpte170m
        }
        // Decoders read tags from the bitstream that the container may not repeat.
        if info.colorMatrix == .unspecified { info.colorMatrix = firstFrameTags.matrix }
        if info.colorPrimaries == .unspecified { info.colorPrimaries = firstFrameTags.primaries }
        if info.colorTransfer == .unspecified { info.colorTransfer = firstFrameTags.transfer }
        if info.fieldOrder == AV_FIELD_UNKNOWN.rawValue, let topFirst = firstFrameTags.interlacedTopFirst {
            info.fieldOrder = (topFirst ? AV_FIELD_TT : AV_FIELD_BB).rawValue
        }
        video = info
        if let order = info.fieldOrderName {
            // The pictures stay woven fields: nothing deinterlaces them, and the network sees
            // both fields at once. Say so rather than pass it over in silence.
            warn("the video is interlaced (\(order)); each frame is colorized as one picture of two woven fields "
                 + "and written with the same field order tag (deinterlace it first, e.g. with ffmpeg -vf bwdif, "
                 + "for a progressive result)")
        }
    }

    deinit { close() }

    /// Frees the demuxer, decoder and buffers now. Later `nextFrame()` calls return nil.
    public func close() {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&decoder)
        avformat_close_input(&format)
        decoderDrained = true
        buffered = nil
    }

    /// The next frame in presentation order, or nil at the end of the stream.
    ///
    /// The reader decodes one frame ahead, so it knows which frame is the last: that one lasts
    /// until the end the container states for the stream when that is later (Matroska keeps
    /// only a default duration per block, and the real length of the last frame in the stream
    /// duration). A demuxer error met while looking ahead is thrown by the following call.
    public func nextFrame() throws -> VideoFrame? {
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        guard var current = try buffered ?? decodeNext() else { return nil }
        do {
            buffered = try decodeNext()
        } catch {
            buffered = nil
            pendingError = error
        }
        if buffered == nil && pendingError == nil, let end = streamEnd {
            // At most ten frames or one second: a bigger gap is a truncated stream, not a
            // long last frame.
            let gap = end - (current.pts + current.duration)
            let oneSecond = Int64(1 / max(video.timeBase.doubleValue, 1e-9))
            if gap > 0 && gap <= max(10 * nominalDuration, oneSecond) {
                current.duration += gap
            }
        }
        framesRead += 1
        return current
    }

    // MARK: - Decoding

    private var firstFormatName = ""
    private var firstLayoutConverted = false
    private var firstFrameTags = (matrix: ColorMatrix.unspecified, primaries: ColorPrimaries.unspecified,
                                  transfer: ColorTransfer.unspecified, interlacedTopFirst: Bool?.none)
    private var decodedCount = 0
    /// What the decoder said about the first damaged packet, to explain a stream that yields nothing.
    private var firstDamage: String?

    private func decodeNext() throws -> VideoFrame? {
        guard let decoder, let frame else { return nil }
        var consecutiveErrors = 0
        while !decoderDrained {
            let rc = avcodec_receive_frame(decoder, frame)
            if rc == 0 {
                defer { av_frame_unref(frame) }
                return try makeFrame(frame)
            }
            if rc == averrorEOF {
                decoderDrained = true
                noteEarlyEnd()
                break
            }
            if rc != averrorEAGAIN {
                // Frame-threaded decoders report a bad packet here rather than at send time.
                noteDamage(rc)
                consecutiveErrors += 1
                if consecutiveErrors > 10_000 { decoderDrained = true }
                continue
            }
            if inputEnded {
                decoderDrained = true  // flushed and still asking for input: nothing more comes
                break
            }
            try feedPacket()
        }
        return nil
    }

    private func feedPacket() throws {
        guard let format, let decoder, let packet else { return }
        while true {
            let rc = av_read_frame(format, packet)
            if rc == averrorEOF {
                inputEnded = true
                avcodec_send_packet(decoder, nil)
                return
            }
            if rc < 0 {
                let position = lastPTS.map { "after frame \(decodedCount - 1) (\(video.timestamp(ofPTS: $0)))" }
                    ?? "before the first frame"
                throw MediaError(.decodeFailed, url, "cannot read stream \(streamIndex) \(position): \(ffErrorText(rc))")
            }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            clearFFmpegError()
            let sent = avcodec_send_packet(decoder, packet)
            if sent < 0 && sent != averrorEAGAIN { noteDamage(sent) }
            return
        }
    }

    /// A stream that stops well short of what the container announced is usually a truncated
    /// file; say so, since the frames up to that point are still delivered.
    private func noteEarlyEnd() {
        guard let expected = video.frameCountEstimate, decodedCount < expected - max(2, expected / 100) else { return }
        warn("the video ends after \(decodedCount) of ~\(expected) announced frames; the file may be truncated")
    }

    private func noteDamage(_ code: Int32) {
        damagedPacketCount += 1
        if firstDamage == nil { firstDamage = ffErrorText(code) + lastFFmpegError() }
        let near = lastPTS.map { "after frame \(decodedCount - 1) (\(video.timestamp(ofPTS: $0)))" } ?? "before the first frame"
        warn("damaged video data \(near): \(ffErrorText(code))\(lastFFmpegError()); the decoder conceals it")
    }

    private func warn(_ message: String) {
        if warnings.count < Self.maxWarnings {
            warnings.append(message)
        } else {
            suppressedWarnings += 1
            let summary = "... and \(suppressedWarnings) more warnings"
            if warnings.count == Self.maxWarnings { warnings.append(summary) } else { warnings[warnings.count - 1] = summary }
        }
    }

    private func makeFrame(_ frame: UnsafeMutablePointer<AVFrame>) throws -> VideoFrame {
        let f = frame.pointee
        let index = decodedCount
        let pixelFormat = AVPixelFormat(f.format)
        let width = Int(f.width), height = Int(f.height)
        if let problem = Self.sizeProblem(width: width, height: height) {
            throw MediaError(.decodeFailed, url, "frame \(index): \(problem)")
        }

        var pts = f.best_effort_timestamp
        if pts == noPTS {
            pts = lastPTS.map { $0 + max(lastDuration, 1) } ?? video.startPTS ?? 0
            if !warnedSynthesizedPTS {
                warnedSynthesizedPTS = true
                warn("the stream has frames without timestamps (first: frame \(index)); synthesized from the frame rate")
            }
        }
        if let last = lastPTS, pts <= last {
            warn("frame \(index) has pts \(pts), not after the previous \(last); moved to \(last + 1)")
            pts = last + 1
        }
        let duration = f.pkt_duration > 0 ? f.pkt_duration : nominalDuration
        if f.flags & AV_FRAME_FLAG_CORRUPT != 0 || f.decode_error_flags != 0 {
            concealedFrameCount += 1
            warn("frame \(index) (\(video.timestamp(ofPTS: pts))) decoded with errors; damage concealed")
        }
        if let size = lastSize, size != (width, height) {
            warn("picture size changes at frame \(index) from \(size.0)x\(size.1) to \(width)x\(height)")
        }

        let layout = SourceLayout(pixelFormat)
        let depth: Int, chroma: ChromaSubsampling, y: [UInt16], u: [UInt16], v: [UInt16]
        var fullRange = f.color_range == AVCOL_RANGE_JPEG
        switch layout {
        case let .yuv(d, c):
            (depth, chroma) = (d, c)
            let cw = c.planeWidth(width), ch = c.planeHeight(height)
            y = readComponent(frame, pixelFormat, component: 0, width: width, height: height)
            u = readComponent(frame, pixelFormat, component: 1, width: cw, height: ch)
            v = readComponent(frame, pixelFormat, component: 2, width: cw, height: ch)
            // yuvj* formats are full range by definition, tagged or not.
            if String(cString: kc_pixdesc_name(pixelFormat)).hasPrefix("yuvj") { fullRange = true }
        case let .gray(d):
            (depth, chroma) = (d, .yuv420)
            y = readComponent(frame, pixelFormat, component: 0, width: width, height: height)
            let count = chroma.planeWidth(width) * chroma.planeHeight(height)
            u = [UInt16](repeating: UInt16(1 << (d - 1)), count: count)
            v = u
            // Gray pictures (PNG, TIFF...) use the full code range unless tagged otherwise.
            if f.color_range != AVCOL_RANGE_MPEG { fullRange = true }
        case .convert:
            let delivered = layout.delivered
            (depth, chroma) = delivered
            guard let planes = converter.convert(frame, depth: depth) else {
                throw MediaError(.decodeFailed, url,
                                 "cannot convert frame \(index) from \(String(cString: kc_pixdesc_name(pixelFormat))) to YUV")
            }
            (y, u, v) = planes
            fullRange = true
        }

        if index == 0 {
            firstFormatName = kc_pixdesc_name(pixelFormat).map { String(cString: $0) } ?? "unknown"
            if case .convert = layout { firstLayoutConverted = true }
            firstFrameTags = (ColorMatrix(rawValue: Int32(bitPattern: f.colorspace.rawValue)),
                              ColorPrimaries(rawValue: Int32(bitPattern: f.color_primaries.rawValue)),
                              ColorTransfer(rawValue: Int32(bitPattern: f.color_trc.rawValue)),
                              f.interlaced_frame != 0 ? f.top_field_first != 0 : nil)
        }
        decodedCount += 1
        lastPTS = pts
        lastDuration = duration
        lastSize = (width, height)
        return VideoFrame(width: width, height: height, bitDepth: depth, fullRange: fullRange, chroma: chroma,
                          y: y, u: u, v: v, pts: pts, duration: duration, index: index)
    }
}

/// "01:02:03.500000000" → 3723.5; nil for anything else.
func parseDuration(_ text: String) -> Double? {
    let parts = text.split(separator: ":")
    guard parts.count == 3, let h = Double(parts[0]), let m = Double(parts[1]), let sec = Double(parts[2]) else { return nil }
    return h * 3600 + m * 60 + sec
}
