import CFFmpeg
import Foundation
import KinecolorFiles

/// Encodes frames into a new file and copies every audio and subtitle stream of the input into
/// it, packet for packet (byte-identical, same timestamps), with chapters and metadata.
///
/// * The output goes to a hidden sibling, `.NAME.partial-PID.EXT`, which `finish()` renames
///   onto the destination. Closing without `finish()` (an error, `cancel()`, or the writer being
///   released) deletes it, so a destination path never holds half a film.
/// * Everything that can be checked up front is checked in `init`, before any encoding: the
///   destination does not exist (unless `overwrite`) and is not the input, its directory is
///   writable, the container can hold the encoded video and every copied stream, the encoder
///   exists. Audio and subtitles are never dropped: a stream the container cannot hold is an
///   error that suggests a container that can.
/// * Streams that are not audio or subtitles (data, extra video angles, cover art or fonts the
///   container cannot hold) are left out and listed in `notes`.
/// * The input is opened a second time with its own demuxer; copied packets are interleaved
///   with the encoded video by time as frames arrive, so nobody has to buffer the audio.
/// * Timestamps: the encoder works in the input's time base and every frame keeps its pts and
///   duration. Containers with a fixed clock re-express them exactly when they can: Matroska
///   counts milliseconds, MP4/MOV raise small timescales (1/25 becomes 1/12800), and AVI counts
///   frames, so for AVI the time base is one frame (1 / real frame rate).
///
/// Not thread-safe: use from one task.
/// One kept part of an excerpt: input times [start, end) in seconds, written `shift` seconds earlier.
public struct ExcerptPart: Sendable, Equatable {
    public var start: Double
    public var end: Double
    public var shift: Double
    public init(start: Double, end: Double, shift: Double) {
        self.start = start
        self.end = end
        self.shift = shift
    }
}

public final class MediaWriter {
    public let url: URL
    public let video: VideoStreamInfo
    public let options: EncodeOptions
    /// Streams copied from the input, as described in the input.
    public let copiedStreams: [StreamDescription]
    /// One line per input stream (or part of one) that is not in the output, with the reason.
    /// Complete after `finish()`.
    public private(set) var notes: [String]
    /// Pixel format the encoder receives, e.g. `yuv420p`, `yuv422p10le`.
    public let encoderPixelFormatName: String
    /// Frames accepted by `write`.
    public private(set) var framesWritten = 0

    private let res: Resources
    private let overwrite: Bool
    private let encoderTimeBase: AVRational
    private let encoderDepth: Int
    private let encoderChroma: ChromaSubsampling
    private let videoOutIndex: Int32
    private let copyMap: [Int32: (out: Int32, inTimeBase: AVRational)]
    private var durations: [Int64: Int64] = [:]
    private var lastPTS: Int64?
    private var lastEncoderPTS: Int64?
    private var lastEncoderEnd: Int64?
    private var decodeDelay: Int64?
    /// False for AVI, whose clock counts frames and has no use for durations.
    private let stretchLastPacket: Bool
    private var copyEnded = false
    /// AC-3 streams going into MP4/MOV whose first packets are still being checked: movenc
    /// silently drops packets without an AC-3 sync word at the start of a track (a partial frame
    /// left by an earlier cut). They are counted here and reported in `notes`.
    private var leadingAC3Checks: [Int32: (stream: StreamDescription, dropped: Int)] = [:]
    private var copyPending = false

    /// An excerpt: the parts of the input's timeline to keep, in seconds, and how far each part moves
    /// earlier in the output. Copied packets outside every part are dropped, the others shifted.
    /// The caller shifts the video frames it writes the same way. nil: everything, unshifted.
    public var excerpt: [ExcerptPart]?
    private var nominalDuration: Int64
    private var state = State.open
    private enum State { case open, finished, failed }

    /// Prepares `url` for writing; nothing is encoded yet.
    /// - Parameters:
    ///   - input: the file whose audio, subtitles, chapters and metadata are copied (normally the
    ///     file the frames came from); nil writes the video alone.
    ///   - video: the stream to reproduce — size, time base, SAR, rotation, color tags, and its
    ///     `index` in `input` (the encoded video takes that slot so stream numbers stay the same).
    ///   - overwrite: replace an existing destination (never the input itself).
    public init(url: URL, copyingStreamsFrom input: URL?, video: VideoStreamInfo,
                options: EncodeOptions = EncodeOptions(), overwrite: Bool = false) throws {
        _ = quietFFmpegLog
        self.url = url
        self.video = video
        self.options = options
        self.overwrite = overwrite
        let res = Resources()
        self.res = res

        // 1. The destination.
        let destination = url.path
        let ext = url.pathExtension.lowercased()
        guard !ext.isEmpty, let format = av_guess_format(nil, destination, nil) else {
            throw MediaError(.unsupportedByContainer, url,
                             "unknown container extension '\(ext.isEmpty ? "(none)" : "." + ext)' (use .mkv, .mov, .mp4 or .avi)")
        }
        let formatName = String(cString: format.pointee.name)
        if format.pointee.video_codec == AV_CODEC_ID_NONE {
            throw MediaError(.unsupportedByContainer, url,
                             ".\(ext) holds no video (use .mkv, .mov, .mp4 or .avi)")
        }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: destination, isDirectory: &isDirectory)
        if let input, sameFile(url, input) {
            throw MediaError(.destinationIsInput, url, "is the input file; choose another output name")
        }
        if exists && isDirectory.boolValue {
            throw MediaError(.cannotCreate, url, "is a directory")
        }
        do {
            try AtomicFile.checkDestination(url, overwrite: overwrite)
        } catch let error as FileError {
            throw MediaError(exists && !overwrite ? .destinationExists : .cannotCreate, url, error.reason)
        }
        let directory = url.deletingLastPathComponent()
        var dirIsDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &dirIsDirectory),
              dirIsDirectory.boolValue else {
            throw MediaError(.cannotCreate, url, "directory \(directory.path) does not exist")
        }
        let temp = AtomicFile.temporaryURL(for: url, keepingExtension: true)

        // 2. The encoder and its pixel format.
        let encoderName: String, codecID: AVCodecID
        switch options.codec {
        case .h264: (encoderName, codecID) = ("libx264", AV_CODEC_ID_H264)
        case .ffv1: (encoderName, codecID) = ("ffv1", AV_CODEC_ID_FFV1)
        case .prores: (encoderName, codecID) = ("prores_ks", AV_CODEC_ID_PRORES)
        }
        guard let codec = avcodec_find_encoder_by_name(encoderName) else {
            throw MediaError(.codecUnavailable, url, "the \(encoderName) encoder is not in this FFmpeg build")
        }
        if avformat_query_codec(format, codecID, FF_COMPLIANCE_NORMAL) == 0 {
            throw MediaError(.unsupportedByContainer, url,
                             "\(options.codec.rawValue) video cannot be stored in .\(ext)"
                             + suggestion(for: codecID, excluding: formatName))
        }
        let (pixelFormat, depth, chroma) = Self.encoderFormat(options.codec, video: video, codec: codec)
        encoderDepth = depth
        encoderChroma = chroma
        encoderPixelFormatName = String(cString: kc_pixdesc_name(pixelFormat))

        // AVI counts frames: give it one tick per frame instead of a fine container clock.
        let inputTimeBase = video.timeBase.av
        if formatName == "avi", video.realFrameRate.isKnown,
           av_cmp_q(av_inv_q(video.realFrameRate.av), inputTimeBase) > 0 {
            encoderTimeBase = av_inv_q(video.realFrameRate.av)
        } else {
            encoderTimeBase = inputTimeBase
        }
        stretchLastPacket = formatName != "avi"
        let rate = video.frameRate
        nominalDuration = rate.isKnown ? max(1, av_rescale_q(1, av_inv_q(rate.av), encoderTimeBase)) : 1

        // 3. The input, opened again just for stream copy.
        var sourceStreams: [UnsafeMutablePointer<AVStream>] = []
        if let input {
            let source = try openInput(input)
            res.source = source
            sourceStreams = source.streamList
        }

        // 4. Plan the output streams in input order; the encoded video takes its input slot.
        var plan: [(input: UnsafeMutablePointer<AVStream>?, isVideo: Bool)] = []
        var notes: [String] = []
        var copied: [StreamDescription] = []
        let videoSlot = sourceStreams.firstIndex {
            Int($0.pointee.index) == video.index && $0.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
                && $0.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0
        }
        if videoSlot == nil { plan.append((nil, true)) }
        for (i, st) in sourceStreams.enumerated() {
            if i == videoSlot { plan.append((st, true)); continue }
            let description = StreamDescription(st)
            let par = st.pointee.codecpar.pointee
            let verdict = avformat_query_codec(format, par.codec_id, FF_COMPLIANCE_NORMAL)
            switch description.kind {
            case .audio, .subtitle:
                if verdict == 0 {
                    throw MediaError(.unsupportedByContainer, url,
                                     "stream \(description.index) (\(description.codecName) \(description.kind.rawValue)) "
                                     + "cannot be stored in .\(ext) without re-encoding"
                                     + suggestion(for: par.codec_id, excluding: formatName))
                }
            case .attachment where formatName == "matroska":
                break  // fonts for subtitles and the like; Matroska stores any attachment
            case .attachment,
                 .video where description.isAttachedPicture:
                if verdict != 1 {
                    notes.append("\(description) left out: .\(ext) cannot hold it")
                    st.pointee.discard = AVDISCARD_ALL
                    continue
                }
            case .video:
                notes.append("\(description) left out: only the colorized video is written")
                st.pointee.discard = AVDISCARD_ALL
                continue
            case .data where verdict == 1:
                break  // data tracks the container declares it can hold
            case .data where par.codec_tag == 0x64636d74 && ["mov", "mp4"].contains(ext.lowercased()):
                // A QuickTime timecode track ('tmcd'): the muxer writes a new one from the
                // timecode metadata, which is copied, so the timecode is kept.
                st.pointee.discard = AVDISCARD_ALL
                continue
            default:
                notes.append("\(description) left out: \(description.kind.rawValue) streams are not copied")
                st.pointee.discard = AVDISCARD_ALL
                continue
            }
            plan.append((st, false))
            copied.append(description)
        }
        if let slot = videoSlot { sourceStreams[slot].pointee.discard = AVDISCARD_ALL }
        self.notes = notes
        copiedStreams = copied

        // 5. Contexts: muxer, encoder, streams.
        var out: UnsafeMutablePointer<AVFormatContext>? = nil
        guard avformat_alloc_output_context2(&out, format, nil, temp.path) >= 0, let out else {
            throw MediaError(.cannotCreate, url, "cannot set up the .\(ext) muxer")
        }
        res.output = out
        guard let encoder = avcodec_alloc_context3(codec), let frame = av_frame_alloc(),
              let packet = av_packet_alloc(), let copyPacket = av_packet_alloc(),
              let heldPacket = av_packet_alloc() else {
            throw MediaError(.cannotCreate, url, "out of memory")
        }
        res.encoder = encoder
        res.frame = frame
        res.packet = packet
        res.copyPacket = copyPacket
        res.heldPacket = heldPacket
        try Self.configure(encoder, codec: codec, options: options, video: video, pixelFormat: pixelFormat,
                           timeBase: encoderTimeBase, globalHeader: format.pointee.flags & AVFMT_GLOBALHEADER != 0,
                           frameClock: formatName == "avi")
        clearFFmpegError()
        let opened = avcodec_open2(encoder, codec, nil)
        guard opened >= 0 else {
            throw MediaError(.codecUnavailable, url,
                             "cannot open the \(encoderName) encoder (\(ffErrorText(opened))\(lastFFmpegError()))")
        }
        frame.pointee.width = encoder.pointee.width
        frame.pointee.height = encoder.pointee.height
        frame.pointee.format = pixelFormat.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else { throw MediaError(.cannotCreate, url, "out of memory") }

        var videoOut: Int32 = 0
        var ac3Checks: [Int32: (StreamDescription, Int)] = [:]
        var map: [Int32: (out: Int32, inTimeBase: AVRational)] = [:]
        for entry in plan {
            guard let st = avformat_new_stream(out, nil) else { throw MediaError(.cannotCreate, url, "out of memory") }
            if entry.isVideo {
                videoOut = st.pointee.index
                avcodec_parameters_from_context(st.pointee.codecpar, encoder)
                st.pointee.time_base = encoderTimeBase
                st.pointee.sample_aspect_ratio = encoder.pointee.sample_aspect_ratio
                st.pointee.avg_frame_rate = video.averageFrameRate.av
                st.pointee.r_frame_rate = video.realFrameRate.av
                if let source = entry.input {
                    av_dict_copy(&st.pointee.metadata, source.pointee.metadata, 0)
                    // These describe the old encode, not ours.
                    for key in ["encoder", "BPS", "DURATION", "NUMBER_OF_FRAMES", "NUMBER_OF_BYTES",
                                "_STATISTICS_TAGS", "_STATISTICS_WRITING_APP", "_STATISTICS_WRITING_DATE_UTC"] {
                        av_dict_set(&st.pointee.metadata, key, nil, 0)
                    }
                    st.pointee.disposition = source.pointee.disposition
                }
                // Name our encoder, as ffmpeg does (MP4/MOV put it in the sample description).
                let v = avcodec_version()
                av_dict_set(&st.pointee.metadata, "encoder", "Lavc\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF) \(encoderName)", 0)
                try Self.setDisplayMatrix(st, video: video, url: url)
            } else if let source = entry.input {
                avcodec_parameters_copy(st.pointee.codecpar, source.pointee.codecpar)
                st.pointee.codecpar.pointee.codec_tag = Self.copyTag(source.pointee.codecpar.pointee, format)
                st.pointee.time_base = source.pointee.time_base
                st.pointee.sample_aspect_ratio = source.pointee.sample_aspect_ratio
                st.pointee.disposition = source.pointee.disposition
                av_dict_copy(&st.pointee.metadata, source.pointee.metadata, 0)
                for i in 0..<Int(source.pointee.nb_side_data) {
                    let sd = source.pointee.side_data[i]
                    if let dst = av_stream_new_side_data(st, sd.type, sd.size) { memcpy(dst, sd.data, sd.size) }
                }
                map[source.pointee.index] = (st.pointee.index, source.pointee.time_base)
                let codecID = source.pointee.codecpar.pointee.codec_id
                if (codecID == AV_CODEC_ID_AC3 || codecID == AV_CODEC_ID_EAC3)
                    && ["mp4", "mov", "ipod", "3gp"].contains(formatName) {
                    ac3Checks[source.pointee.index] = (StreamDescription(source), 0)
                }
            }
        }
        videoOutIndex = videoOut
        copyMap = map
        leadingAC3Checks = ac3Checks

        if let source = res.source {
            av_dict_copy(&out.pointee.metadata, source.pointee.metadata, 0)
            // Container-specific or stale: the muxer writes its own.
            for key in ["encoder", "major_brand", "minor_version", "compatible_brands"] {
                av_dict_set(&out.pointee.metadata, key, nil, 0)
            }
            try Self.copyChapters(from: source, to: out, url: url)
        }

        // 6. Create the temporary file and write the header.
        if format.pointee.flags & AVFMT_NOFILE == 0 {
            let rc = avio_open(&out.pointee.pb, temp.path, AVIO_FLAG_WRITE)
            guard rc >= 0 else {
                throw MediaError(.cannotCreate, url, "cannot create a file in \(directory.path) (\(ffErrorText(rc)))")
            }
            res.tempPath = temp.path
        }
        clearFFmpegError()
        let header = avformat_write_header(out, nil)
        guard header >= 0 else {
            throw MediaError(.writeFailed, url, "cannot start the .\(ext) file (\(ffErrorText(header))\(lastFFmpegError())); "
                             + ".mkv, .mov, .mp4 or .avi can hold the video")
        }
    }

    deinit {
        if state == .open { res.discard() }
    }

    /// Encodes one frame. Frames must come in presentation order with increasing `pts` (in
    /// `video.timeBase`) and the stream's size. Any bit depth 8…16 and any chroma subsampling
    /// are accepted: chroma is resampled to the encoder's layout, depth is shifted.
    public func write(_ frame: VideoFrame) throws {
        guard state == .open else {
            throw MediaError(.writeFailed, url, "the writer is already \(state == .finished ? "finished" : "closed (cancelled or failed)")")
        }
        do {
            try encode(frame)
        } catch {
            fail()
            throw error
        }
    }

    /// Flushes the encoder, copies the rest of the audio and subtitles, completes the container
    /// and moves the file onto the destination. Without this call nothing is left on disk.
    public func finish() throws {
        guard state == .open else {
            throw MediaError(.writeFailed, url, "the writer is already \(state == .finished ? "finished" : "closed (cancelled or failed)")")
        }
        do {
            guard framesWritten > 0 else { throw MediaError(.writeFailed, url, "no frames were written") }
            guard let encoder = res.encoder, let out = res.output else { return }
            let flushed = avcodec_send_frame(encoder, nil)
            guard flushed >= 0 else { throw MediaError(.writeFailed, url, "cannot flush the encoder (\(ffErrorText(flushed)))") }
            try drainEncoder(flushing: true)
            try copyPackets(until: nil)
            clearFFmpegError()
            let trailer = av_write_trailer(out)
            guard trailer >= 0 else {
                throw MediaError(.writeFailed, url, "cannot complete the file (\(ffErrorText(trailer))\(lastFFmpegError()))")
            }
            if out.pointee.pb != nil {
                let closed = avio_closep(&out.pointee.pb)
                guard closed >= 0 else { throw MediaError(.writeFailed, url, "cannot complete the file (\(ffErrorText(closed)))") }
            }
            try moveIntoPlace()
            state = .finished
            res.release()
        } catch {
            fail()
            throw error
        }
    }

    /// Abandons the output: frees everything and deletes the temporary file. Safe to call twice.
    public func cancel() {
        if state == .open { fail() }
    }

    // MARK: - Encoding

    private func encode(_ input: VideoFrame) throws {
        guard let encoder = res.encoder, let frame = res.frame else { return }
        guard input.width == video.width, input.height == video.height else {
            throw MediaError(.invalidFrame, url, "frame \(framesWritten) is \(input.width)x\(input.height) "
                             + "but the stream is \(video.width)x\(video.height)")
        }
        if let last = lastPTS, input.pts <= last {
            throw MediaError(.invalidFrame, url, "frame \(framesWritten) has pts \(input.pts), not after the previous \(last)")
        }
        var pts = av_rescale_q(input.pts, video.timeBase.av, encoderTimeBase)
        if let last = lastEncoderPTS, pts <= last { pts = last + 1 }  // only when AVI's frame clock is coarser
        let duration = max(1, av_rescale_q(input.duration, video.timeBase.av, encoderTimeBase))

        let made = av_frame_make_writable(frame)
        guard made >= 0 else { throw MediaError(.writeFailed, url, "out of memory (\(ffErrorText(made)))") }
        let bytes = encoderDepth > 8 ? 2 : 1
        writePlane(rescaleDepth(input.y, from: input.bitDepth, to: encoderDepth), into: frame, planeIndex: 0,
                   width: input.width, height: input.height, bytesPerSample: bytes)
        let cw = encoderChroma.planeWidth(input.width), ch = encoderChroma.planeHeight(input.height)
        for (plane, samples) in [(1, input.u), (2, input.v)] {
            let resampled = resampleChroma(samples, lumaWidth: input.width, lumaHeight: input.height,
                                           from: input.chroma, to: encoderChroma)
            writePlane(rescaleDepth(resampled, from: input.bitDepth, to: encoderDepth), into: frame, planeIndex: plane,
                       width: cw, height: ch, bytesPerSample: bytes)
        }
        frame.pointee.pts = pts
        frame.pointee.pkt_duration = duration
        durations[pts] = duration
        let sent = avcodec_send_frame(encoder, frame)
        guard sent >= 0 else {
            throw MediaError(.writeFailed, url, "the encoder rejected frame \(framesWritten) (\(ffErrorText(sent)))")
        }
        lastPTS = input.pts
        lastEncoderPTS = pts
        lastEncoderEnd = pts + duration
        framesWritten += 1
        try drainEncoder()
    }

    /// Moves every packet the encoder has ready into the muxer, preceded by the copied packets
    /// that come before it in time. When `flushing`, the last packet in decode order is held back
    /// and stretched to end where the last frame ends: containers that derive durations from
    /// decode timestamps (MP4, MOV) would otherwise shorten a reordered stream's last frame.
    private func drainEncoder(flushing: Bool = false) throws {
        guard let encoder = res.encoder, let packet = res.packet, let held = res.heldPacket else { return }
        while true {
            let rc = avcodec_receive_packet(encoder, packet)
            if rc == averrorEAGAIN { return }
            if rc == averrorEOF {
                if held.pointee.data != nil || held.pointee.size > 0 {
                    // The decode-time line runs `decodeDelay` behind presentation (B-frames).
                    if stretchLastPacket, let end = lastEncoderEnd, let delay = decodeDelay, held.pointee.dts != noPTS {
                        held.pointee.duration = max(held.pointee.duration, end - delay - held.pointee.dts)
                    }
                    try send(held)
                }
                return
            }
            guard rc >= 0 else { throw MediaError(.writeFailed, url, "the encoder failed (\(ffErrorText(rc)))") }
            // Encoders do not carry frame durations through; restore them so the last frame
            // keeps its length and VFR durations survive.
            packet.pointee.duration = durations.removeValue(forKey: packet.pointee.pts) ?? nominalDuration
            if decodeDelay == nil && packet.pointee.pts != noPTS && packet.pointee.dts != noPTS {
                decodeDelay = packet.pointee.pts - packet.pointee.dts
            }
            if flushing {
                if held.pointee.data != nil || held.pointee.size > 0 { try send(held) }
                av_packet_move_ref(held, packet)
            } else {
                try send(packet)
            }
        }
    }

    /// Muxes one encoded packet (in the encoder's time base), after the copied packets before it.
    private func send(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        guard let out = res.output else { return }
        let stream = out.pointee.streams[Int(videoOutIndex)]!
        packet.pointee.stream_index = videoOutIndex
        av_packet_rescale_ts(packet, encoderTimeBase, stream.pointee.time_base)
        let time = packet.pointee.dts != noPTS ? packet.pointee.dts : packet.pointee.pts
        try copyPackets(until: time == noPTS ? nil : (time, stream.pointee.time_base))
        try mux(packet)
    }

    /// Copies input packets of the copied streams up to `limit` (or to the end when nil).
    private func copyPackets(until limit: (Int64, AVRational)?) throws {
        guard let source = res.source, let packet = res.copyPacket, let out = res.output else { return }
        while !copyEnded {
            if !copyPending {
                let rc = av_read_frame(source, packet)
                if rc == averrorEOF { copyEnded = true; return }
                guard rc >= 0 else {
                    throw MediaError(.writeFailed, url, "cannot read the streams to copy from the input (\(ffErrorText(rc)))")
                }
                guard let target = copyMap[packet.pointee.stream_index] else {
                    av_packet_unref(packet)
                    continue
                }
                if let excerpt {
                    let tb = target.inTimeBase
                    let t = packet.pointee.pts != noPTS ? packet.pointee.pts : packet.pointee.dts
                    let seconds = t == noPTS ? -Double.infinity : Double(t) * Double(tb.num) / Double(tb.den)
                    guard let part = excerpt.first(where: { seconds >= $0.start - 1e-9 && seconds < $0.end - 1e-9 }) else {
                        av_packet_unref(packet)
                        continue
                    }
                    let shift = Int64((part.shift * Double(tb.den) / Double(tb.num)).rounded())
                    if packet.pointee.pts != noPTS { packet.pointee.pts -= shift }
                    if packet.pointee.dts != noPTS { packet.pointee.dts -= shift }
                }
                if let check = leadingAC3Checks[packet.pointee.stream_index] {
                    let p = packet.pointee
                    if p.size >= 2 && p.data[0] == 0x0B && p.data[1] == 0x77 {
                        leadingAC3Checks[p.stream_index] = nil
                    } else {
                        leadingAC3Checks[p.stream_index]!.dropped += 1
                        if check.dropped == 0 {
                            notes.append("\(check.stream): the .\(url.pathExtension) muxer drops "
                                         + "packets before the first complete AC-3 frame (a partial frame, not playable); "
                                         + "use .mkv to keep them")
                        }
                    }
                }
                packet.pointee.stream_index = target.out
                packet.pointee.pos = -1
                av_packet_rescale_ts(packet, target.inTimeBase, out.pointee.streams[Int(target.out)]!.pointee.time_base)
                copyPending = true
            }
            if let (limitTime, limitBase) = limit {
                let tb = out.pointee.streams[Int(packet.pointee.stream_index)]!.pointee.time_base
                let time = packet.pointee.dts != noPTS ? packet.pointee.dts : packet.pointee.pts
                if time != noPTS && av_compare_ts(time, tb, limitTime, limitBase) > 0 { return }
            }
            copyPending = false
            try mux(packet)
        }
    }

    private func mux(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        guard let out = res.output else { return }
        let rc = av_interleaved_write_frame(out, packet)  // takes the packet's reference
        guard rc >= 0 else {
            throw MediaError(.writeFailed, url, "write failed after \(framesWritten) frames (\(ffErrorText(rc)))")
        }
    }

    private func fail() {
        state = .failed
        res.discard()
    }

    /// Moves the finished temporary file onto the destination (AtomicFile.place: never over a
    /// file that appeared meanwhile unless overwriting, never over anything but a regular file).
    private func moveIntoPlace() throws {
        guard let temp = res.tempPath else { return }
        res.tempPath = nil
        do {
            try AtomicFile.place(URL(fileURLWithPath: temp), at: url, overwrite: overwrite)
        } catch let error as FileError {
            throw MediaError(error.reason.hasPrefix("appeared") ? .destinationExists : .writeFailed, url, error.reason)
        }
    }
}

// MARK: - Setup helpers

extension MediaWriter {
    /// Encoder pixel format, bit depth and subsampling for a codec and a stream.
    static func encoderFormat(_ codec: EncodeOptions.Codec, video: VideoStreamInfo,
                              codec avcodec: UnsafePointer<AVCodec>) -> (AVPixelFormat, Int, ChromaSubsampling) {
        var supported: Set<Int32> = []
        if var p = avcodec.pointee.pix_fmts {
            while p.pointee != AV_PIX_FMT_NONE { supported.insert(p.pointee.rawValue); p += 1 }
        }
        switch codec {
        case .h264:
            // 4:2:0 needs an even width and height. An odd-sized picture is encoded 4:4:4 (High 4:4:4
            // Predictive) instead, so the output keeps the input's exact size, neither cropped nor padded.
            let even = video.width % 2 == 0 && video.height % 2 == 0
            let chroma: ChromaSubsampling = even || !supported.contains(PlanarTarget.format(depth: 8, chroma: .yuv444).rawValue)
                ? .yuv420 : .yuv444
            let tenBit = PlanarTarget.format(depth: 10, chroma: chroma)
            if video.bitDepth > 8 && supported.contains(tenBit.rawValue) { return (tenBit, 10, chroma) }
            return (PlanarTarget.format(depth: 8, chroma: chroma), 8, chroma)
        case .ffv1:
            for depth in [8, 9, 10, 12, 14, 16] where depth >= video.bitDepth {
                for chroma in [video.chroma, .yuv444] {
                    let f = PlanarTarget.format(depth: depth, chroma: chroma)
                    if f != AV_PIX_FMT_NONE && supported.contains(f.rawValue) { return (f, depth, chroma) }
                }
            }
            return (PlanarTarget.format(depth: 16, chroma: .yuv444), 16, .yuv444)
        case .prores:
            return (PlanarTarget.format(depth: 10, chroma: .yuv422), 10, .yuv422)
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

    static func configure(_ encoder: UnsafeMutablePointer<AVCodecContext>, codec: UnsafePointer<AVCodec>,
                          options: EncodeOptions, video: VideoStreamInfo, pixelFormat: AVPixelFormat,
                          timeBase: AVRational, globalHeader: Bool, frameClock: Bool) throws {
        let e = encoder
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
        if video.isInterlaced && options.codec != .ffv1 {
            e.pointee.flags |= AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME
        }
        e.pointee.thread_count = Int32(options.threads)
        if globalHeader { e.pointee.flags |= AV_CODEC_FLAG_GLOBAL_HEADER }
        let priv = e.pointee.priv_data
        switch options.codec {
        case .h264:
            av_opt_set(priv, "preset", options.preset, 0)
            av_opt_set(priv, "crf", String(options.crf), 0)
            // The encoder clock is the input's fine time base (1/12800 for a 25 fps MP4) so every
            // pts is exact; x264 would otherwise put that clock in the SPS timing info (12800 fps)
            // and demuxers then drop the packet durations. force-cfr makes the SPS say the frame
            // rate and leaves the timestamps alone.
            av_opt_set(priv, "x264-params", "force-cfr=1" + x264MemoryParams(width: video.width, height: video.height,
                                                                           bitDepth: video.bitDepth), 0)
            // AVI stores no presentation times, only frame order: without B-frames every
            // frame's time is its position, so timestamps survive exactly.
            if frameClock { e.pointee.max_b_frames = 0 }
        case .ffv1:
            e.pointee.level = 3        // version 3: per-slice CRCs, multithreaded, self-describing
            e.pointee.gop_size = 1     // every frame a keyframe: cut anywhere, damage stays local
            av_opt_set(priv, "slicecrc", "1", 0)
            av_opt_set(priv, "coder", "range_def", 0)
        case .prores:
            av_opt_set_int(priv, "profile", 3, 0)   // HQ
        }
    }

    /// Copies the input's display matrix (flips included), or builds one from `rotation`.
    static func setDisplayMatrix(_ stream: UnsafeMutablePointer<AVStream>, video: VideoStreamInfo, url: URL) throws {
        var matrix = video.displayMatrix ?? []
        if matrix.count != 9 {
            guard video.rotation != 0 else { return }
            matrix = [Int32](repeating: 0, count: 9)
            // av_display_rotation_set turns the opposite way to what av_display_rotation_get
            // (and ffprobe) report, hence the minus: reading the file back gives `rotation`.
            matrix.withUnsafeMutableBufferPointer { av_display_rotation_set($0.baseAddress, -video.rotation) }
        }
        guard let data = av_stream_new_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, 36) else {
            throw MediaError(.cannotCreate, url, "out of memory")
        }
        matrix.withUnsafeBytes { data.update(from: $0.bindMemory(to: UInt8.self).baseAddress!, count: 36) }
    }

    /// ffmpeg's rule for stream copy: keep the input's codec tag only when the output container
    /// maps it to the same codec; otherwise let the muxer choose.
    static func copyTag(_ par: AVCodecParameters, _ format: UnsafePointer<AVOutputFormat>) -> UInt32 {
        let tag = par.codec_tag
        guard tag != 0, let tables = format.pointee.codec_tag else { return tag }
        if av_codec_get_id(tables, tag) == par.codec_id { return tag }
        var other: UInt32 = 0
        if av_codec_get_tag2(tables, par.codec_id, &other) == 0 { return tag }
        return 0
    }

    static func copyChapters(from source: UnsafeMutablePointer<AVFormatContext>,
                             to out: UnsafeMutablePointer<AVFormatContext>, url: URL) throws {
        let count = Int(source.pointee.nb_chapters)
        guard count > 0 else { return }
        // avformat_free_context frees chapters allocated with av_malloc, so ownership passes to `out`.
        guard let array = av_calloc(count, MemoryLayout<UnsafeMutablePointer<AVChapter>?>.stride) else {
            throw MediaError(.cannotCreate, url, "out of memory")
        }
        let chapters = array.bindMemory(to: UnsafeMutablePointer<AVChapter>?.self, capacity: count)
        out.pointee.chapters = chapters
        for i in 0..<count {
            guard let from = source.pointee.chapters[i],
                  let raw = av_mallocz(MemoryLayout<AVChapter>.stride) else { continue }
            let to = raw.bindMemory(to: AVChapter.self, capacity: 1)
            to.pointee.id = from.pointee.id
            to.pointee.time_base = from.pointee.time_base
            to.pointee.start = from.pointee.start
            to.pointee.end = from.pointee.end
            av_dict_copy(&to.pointee.metadata, from.pointee.metadata, 0)
            chapters[Int(out.pointee.nb_chapters)] = to
            out.pointee.nb_chapters += 1
        }
    }
}

/// " (use .mkv or .mov)" — containers among the usual ones that accept `codec`.
private func suggestion(for codec: AVCodecID, excluding current: String) -> String {
    let candidates = [("matroska", "mkv"), ("mov", "mov"), ("mp4", "mp4")]
    let fits = candidates.filter { name, _ in
        name != current && av_guess_format(name, nil, nil).map { avformat_query_codec($0, codec, FF_COMPLIANCE_NORMAL) == 1 } == true
    }.map { "." + $0.1 }
    if fits.isEmpty { return "" }
    return " (use " + fits.joined(separator: " or ") + ")"
}

/// Same file after resolving symlinks and hard links: same device and inode.
private func sameFile(_ a: URL, _ b: URL) -> Bool {
    var sa = stat(), sb = stat()
    guard stat(a.path, &sa) == 0, stat(b.path, &sb) == 0 else {
        return a.resolvingSymlinksInPath().standardizedFileURL.path == b.resolvingSymlinksInPath().standardizedFileURL.path
    }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino
}

/// Every FFmpeg object a writer owns. Freed in one place (deinit), so a throw anywhere in
/// `MediaWriter.init` cannot leak or leave a temporary file behind.
private final class Resources {
    var output: UnsafeMutablePointer<AVFormatContext>?
    var source: UnsafeMutablePointer<AVFormatContext>?
    var encoder: UnsafeMutablePointer<AVCodecContext>?
    var frame: UnsafeMutablePointer<AVFrame>?
    var packet: UnsafeMutablePointer<AVPacket>?
    var copyPacket: UnsafeMutablePointer<AVPacket>?
    var heldPacket: UnsafeMutablePointer<AVPacket>?
    /// Set while a temporary file exists that must be removed unless the write succeeds.
    var tempPath: String?

    /// Frees everything; the temporary file (if any) is deleted.
    func discard() {
        release()
        if let path = tempPath { unlink(path) }
        tempPath = nil
    }

    /// Frees everything, leaving files alone.
    func release() {
        if let out = output {
            if out.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 && out.pointee.pb != nil {
                avio_closep(&out.pointee.pb)
            }
            avformat_free_context(out)
            output = nil
        }
        avformat_close_input(&source)
        avcodec_free_context(&encoder)
        av_frame_free(&frame)
        av_packet_free(&packet)
        av_packet_free(&copyPacket)
        av_packet_free(&heldPacket)
    }

    deinit { discard() }
}
