import CFFmpeg
import Foundation

/// Turns `VideoFrame`s into encoded packets in the encoder's time base. Each frame keeps its pts
/// and duration; packets go to the `emit` closure the caller passes, in decode order.
final class VideoEncoder {
    let settings: EncoderSettings
    /// Frames accepted so far.
    private(set) var framesEncoded = 0

    private let url: URL
    private let video: VideoStreamInfo
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var heldPacket: UnsafeMutablePointer<AVPacket>?
    /// Encoders do not carry frame durations through: each frame's, by its pts, until its packet comes.
    private var durations: [Int64: Int64] = [:]
    private var lastPTS: Int64?
    private var lastEncoderPTS: Int64?
    private var lastEncoderEnd: Int64?
    /// How far decode time runs behind presentation (B-frames), from the first packet.
    private var decodeDelay: Int64?

    /// Opens the encoder; `globalHeader` when the container keeps codec headers out of band.
    init(_ settings: EncoderSettings, options: EncodeOptions, video: VideoStreamInfo, globalHeader: Bool, url: URL) throws {
        self.settings = settings
        self.video = video
        self.url = url
        guard let context = avcodec_alloc_context3(settings.codec), let frame = av_frame_alloc(),
              let packet = av_packet_alloc(), let heldPacket = av_packet_alloc() else {
            throw MediaError(.cannotCreate, url, "out of memory")
        }
        (self.context, self.frame, self.packet, self.heldPacket) = (context, frame, packet, heldPacket)
        settings.configure(context, options: options, video: video, globalHeader: globalHeader)
        clearFFmpegError()
        let opened = avcodec_open2(context, settings.codec, nil)
        guard opened >= 0 else {
            throw MediaError(.codecUnavailable, url,
                             "cannot open the \(settings.name) encoder (\(ffErrorText(opened))\(lastFFmpegError()))")
        }
        frame.pointee.width = context.pointee.width
        frame.pointee.height = context.pointee.height
        frame.pointee.format = settings.pixelFormat.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else { throw MediaError(.cannotCreate, url, "out of memory") }
    }

    deinit { close() }

    /// Frees the encoder and its buffers; later calls do nothing.
    func close() {
        avcodec_free_context(&context)
        av_frame_free(&frame)
        av_packet_free(&packet)
        av_packet_free(&heldPacket)
    }

    /// The opened encoder, for the muxer to describe the video stream.
    var openedContext: UnsafeMutablePointer<AVCodecContext>? { context }

    /// Encodes one frame (presentation order, increasing pts in `video.timeBase`, the stream's
    /// size); the packets it completes go to `emit`.
    func encode(_ input: VideoFrame, emit: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        guard let context, let frame else { return }
        guard input.width == video.width, input.height == video.height else {
            throw MediaError(.invalidFrame, url, "frame \(framesEncoded) is \(input.width)x\(input.height) "
                             + "but the stream is \(video.width)x\(video.height)")
        }
        if let last = lastPTS, input.pts <= last {
            throw MediaError(.invalidFrame, url, "frame \(framesEncoded) has pts \(input.pts), not after the previous \(last)")
        }
        var pts = av_rescale_q(input.pts, video.timeBase.av, settings.timeBase)
        if let last = lastEncoderPTS, pts <= last { pts = last + 1 }  // only when AVI's frame clock is coarser
        let duration = max(1, av_rescale_q(input.duration, video.timeBase.av, settings.timeBase))

        let made = av_frame_make_writable(frame)
        guard made >= 0 else { throw MediaError(.writeFailed, url, "out of memory (\(ffErrorText(made)))") }
        fill(frame, with: input)
        frame.pointee.pts = pts
        frame.pointee.pkt_duration = duration
        durations[pts] = duration
        let sent = avcodec_send_frame(context, frame)
        guard sent >= 0 else {
            throw MediaError(.writeFailed, url, "the encoder rejected frame \(framesEncoded) (\(ffErrorText(sent)))")
        }
        lastPTS = input.pts
        lastEncoderPTS = pts
        lastEncoderEnd = pts + duration
        framesEncoded += 1
        try drain(flushing: false, emit: emit)
    }

    /// Flushes the encoder: the remaining packets go to `emit`.
    func finish(emit: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        guard let context else { return }
        let flushed = avcodec_send_frame(context, nil)
        guard flushed >= 0 else { throw MediaError(.writeFailed, url, "cannot flush the encoder (\(ffErrorText(flushed)))") }
        try drain(flushing: true, emit: emit)
    }

    /// Planes converted to the encoder's depth and chroma layout.
    private func fill(_ frame: UnsafeMutablePointer<AVFrame>, with input: VideoFrame) {
        let depth = settings.depth, chroma = settings.chroma
        let bytes = depth > 8 ? 2 : 1
        writePlane(rescaleDepth(input.y, from: input.bitDepth, to: depth), into: frame, planeIndex: 0,
                   width: input.width, height: input.height, bytesPerSample: bytes)
        let cw = chroma.planeWidth(input.width), ch = chroma.planeHeight(input.height)
        for (plane, samples) in [(1, input.u), (2, input.v)] {
            let resampled = resampleChroma(samples, lumaWidth: input.width, lumaHeight: input.height,
                                           from: input.chroma, to: chroma)
            writePlane(rescaleDepth(resampled, from: input.bitDepth, to: depth), into: frame, planeIndex: plane,
                       width: cw, height: ch, bytesPerSample: bytes)
        }
    }

    /// Hands every packet the encoder has ready to `emit`. When `flushing`, the last packet in
    /// decode order is held back and stretched to end where the last frame ends: containers
    /// that derive durations from decode timestamps (MP4, MOV) would otherwise shorten a
    /// reordered stream's last frame.
    private func drain(flushing: Bool, emit: (UnsafeMutablePointer<AVPacket>) throws -> Void) throws {
        guard let context, let packet, let held = heldPacket else { return }
        while true {
            let rc = avcodec_receive_packet(context, packet)
            if rc == averrorEAGAIN { return }
            if rc == averrorEOF {
                if held.pointee.data != nil || held.pointee.size > 0 {
                    // The decode-time line runs `decodeDelay` behind presentation (B-frames).
                    if !settings.countsFrames, let end = lastEncoderEnd, let delay = decodeDelay, held.pointee.dts != noPTS {
                        held.pointee.duration = max(held.pointee.duration, end - delay - held.pointee.dts)
                    }
                    try emit(held)
                }
                return
            }
            guard rc >= 0 else { throw MediaError(.writeFailed, url, "the encoder failed (\(ffErrorText(rc)))") }
            // Restore the frame's duration so the last frame keeps its length and VFR durations survive.
            packet.pointee.duration = durations.removeValue(forKey: packet.pointee.pts) ?? settings.nominalDuration
            if decodeDelay == nil && packet.pointee.pts != noPTS && packet.pointee.dts != noPTS {
                decodeDelay = packet.pointee.pts - packet.pointee.dts
            }
            if flushing {
                if held.pointee.data != nil || held.pointee.size > 0 { try emit(held) }
                av_packet_move_ref(held, packet)
            } else {
                try emit(packet)
            }
        }
    }
}
