import CFFmpeg
import Foundation

/// Reads one stream's packets from a file and turns them into decoded pictures. It owns the
/// demuxer, the decoder and their buffers; what to make of damage is the caller's business, so
/// every problem comes back as a step rather than a log line.
final class StreamDecoder {
    /// One step of decoding.
    enum Step {
        /// A decoded picture, valid until the next call to `next()`.
        case picture(UnsafeMutablePointer<AVFrame>)
        /// The decoder refused a packet (send time).
        case rejectedPacket(Int32)
        /// The decoder reported an error for an earlier packet (frame-threaded decoders do so
        /// at receive time).
        case decodeError(Int32)
        /// The demuxer failed with something other than end of file.
        case readFailed(Int32)
        /// The decoder said it has delivered its last picture.
        case endOfStream
    }

    private let input: InputFile
    private let streamIndex: Int32
    private var decoder: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    private var frame: UnsafeMutablePointer<AVFrame>?
    private var inputEnded = false
    private var drained = false

    /// Opens the decoder for `stream` of `input`; `threads` 0 lets FFmpeg pick.
    init(_ input: InputFile, stream: UnsafeMutablePointer<AVStream>, threads: Int, url: URL) throws {
        self.input = input
        streamIndex = stream.pointee.index
        let par = stream.pointee.codecpar!
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
        decoder.pointee.pkt_timebase = stream.pointee.time_base
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
    }

    deinit {
        av_frame_free(&frame)
        av_packet_free(&packet)
        avcodec_free_context(&decoder)
    }

    /// The picture size the decoder last saw (the bitstream's own claim), if it saw one.
    var codedSize: (width: Int, height: Int)? {
        guard let decoder, decoder.pointee.width > 0, decoder.pointee.height > 0 else { return nil }
        return (Int(decoder.pointee.width), Int(decoder.pointee.height))
    }

    /// Moves the demuxer to the keyframe at or before `pts` (the stream's time base) and empties
    /// the decoder, so that decoding starts afresh there; false when the demuxer cannot seek.
    func seek(to pts: Int64) -> Bool {
        guard let context = input.context, let decoder else { return false }
        guard av_seek_frame(context, streamIndex, pts, AVSEEK_FLAG_BACKWARD) >= 0 else { return false }
        avcodec_flush_buffers(decoder)
        inputEnded = false
        drained = false
        return true
    }

    /// Stops decoding: later calls to `next()` return nil.
    func stop() { drained = true }

    /// The next step, or nil once nothing more can come (the decoder is drained or stopped).
    func next() -> Step? {
        guard let decoder, let frame, let packet else { return nil }
        while !drained {
            let rc = avcodec_receive_frame(decoder, frame)
            if rc == 0 { return .picture(frame) }
            if rc == averrorEOF {
                drained = true
                return .endOfStream
            }
            if rc != averrorEAGAIN { return .decodeError(rc) }
            if inputEnded {
                drained = true  // flushed and still asking for input: nothing more comes
                return nil
            }
            if let problem = feed(decoder, packet) { return problem }
        }
        return nil
    }

    /// Sends the next packet of the stream to the decoder (or, at the end of the file, the
    /// flush request); a problem comes back as the step to report.
    private func feed(_ decoder: UnsafeMutablePointer<AVCodecContext>, _ packet: UnsafeMutablePointer<AVPacket>) -> Step? {
        while true {
            guard let context = input.context else { return .readFailed(averrorEOF) }
            let rc = av_read_frame(context, packet)
            if rc == averrorEOF {
                inputEnded = true
                avcodec_send_packet(decoder, nil)
                return nil
            }
            if rc < 0 { return .readFailed(rc) }
            defer { av_packet_unref(packet) }
            guard packet.pointee.stream_index == streamIndex else { continue }
            clearFFmpegError()
            let sent = avcodec_send_packet(decoder, packet)
            return sent < 0 && sent != averrorEAGAIN ? .rejectedPacket(sent) : nil
        }
    }
}
