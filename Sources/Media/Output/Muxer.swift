import CFFmpeg
import Foundation

/// Writes the output container: the streams the plan lays out, the input's metadata and
/// chapters, then packets, the encoded video interleaved by time with the copied streams.
final class Muxer {
    private let plan: OutputPlan
    private var output: UnsafeMutablePointer<AVFormatContext>?
    private var videoIndex: Int32 = 0
    private var videoTimeBase: AVRational
    private var copy: StreamCopy?
    /// Frames the encoder accepted so far, for a write error to say where it happened.
    private let framesSoFar: () -> Int

    /// Sets up the container and its streams; nothing is written until `start()`.
    init(plan: OutputPlan, encoder: VideoEncoder, video: VideoStreamInfo, framesSoFar: @escaping () -> Int) throws {
        self.plan = plan
        self.framesSoFar = framesSoFar
        videoTimeBase = plan.encoding.timeBase
        var out: UnsafeMutablePointer<AVFormatContext>? = nil
        guard avformat_alloc_output_context2(&out, plan.container.format, nil, plan.placement.temporaryURL.path) >= 0,
              let out else {
            throw MediaError(.cannotCreate, plan.url, "cannot set up the .\(plan.container.ext) muxer")
        }
        output = out
        guard let context = encoder.openedContext else { throw MediaError(.cannotCreate, plan.url, "the encoder is closed") }
        for entry in plan.streams {
            guard let st = avformat_new_stream(out, nil) else { throw MediaError(.cannotCreate, plan.url, "out of memory") }
            switch entry {
            case .video(let source):
                videoIndex = st.pointee.index
                try StreamSetup.describeVideo(st, encoder: context, settings: plan.encoding, video: video,
                                              source: source, url: plan.url)
            case .copy(let source, _):
                StreamSetup.describeCopy(st, from: source, container: plan.container)
            }
        }
        if let source = plan.source?.context {
            av_dict_copy(&out.pointee.metadata, source.pointee.metadata, 0)
            // Container-specific or stale: the muxer writes its own.
            for key in ["encoder", "major_brand", "minor_version", "compatible_brands"] {
                av_dict_set(&out.pointee.metadata, key, nil, 0)
            }
            try StreamSetup.copyChapters(from: source, to: out, url: plan.url)
        }
    }

    deinit { close() }

    /// Frees the container (closing its file, if open); later calls do nothing.
    func close() {
        copy?.close()
        guard let out = output else { return }
        if out.pointee.oformat.pointee.flags & AVFMT_NOFILE == 0 && out.pointee.pb != nil {
            avio_closep(&out.pointee.pb)
        }
        avformat_free_context(out)
        output = nil
    }

    /// The parts of the input to keep; see `MediaWriter.excerpt`.
    var excerpt: [ExcerptPart]? {
        get { copy?.excerpt }
        set { copy?.excerpt = newValue }
    }

    /// Notes about copied packets the container dropped.
    var notes: [String] { copy?.notes ?? [] }

    /// Creates the hidden file and writes the header, which settles each stream's time base.
    func start() throws {
        guard let out = output else { return }
        let placement = plan.placement
        if plan.container.needsFile {
            try placement.create { temp in
                let rc = avio_open(&out.pointee.pb, temp.path, AVIO_FLAG_WRITE)
                guard rc >= 0 else {
                    throw MediaError(.cannotCreate, plan.url,
                                     "cannot create a file in \(placement.directory.path) (\(ffErrorText(rc)))")
                }
            }
        }
        clearFFmpegError()
        let header = avformat_write_header(out, nil)
        guard header >= 0 else {
            throw MediaError(.writeFailed, plan.url, "cannot start the .\(plan.container.ext) file "
                             + "(\(ffErrorText(header))\(lastFFmpegError())); .mkv, .mov, .mp4 or .avi can hold the video")
        }
        videoTimeBase = out.pointee.streams[Int(videoIndex)]!.pointee.time_base
        if let source = plan.source {
            copy = try StreamCopy(source: source, targets: copyTargets(out), containerExtension: plan.url.pathExtension,
                                  url: plan.url)
        }
    }

    private func copyTargets(_ out: UnsafeMutablePointer<AVFormatContext>) -> [Int32: StreamCopy.Target] {
        var targets: [Int32: StreamCopy.Target] = [:]
        for (index, entry) in plan.streams.enumerated() {
            guard case let .copy(source, checkAC3Sync) = entry else { continue }
            targets[source.pointee.index] = StreamCopy.Target(
                output: Int32(index), inputTimeBase: source.pointee.time_base,
                outputTimeBase: out.pointee.streams[index]!.pointee.time_base,
                checkAC3Sync: checkAC3Sync, stream: StreamDescription(source))
        }
        return targets
    }

    /// Muxes one encoded packet (in `timeBase`), after the copied packets that come before it.
    func writeVideo(_ packet: UnsafeMutablePointer<AVPacket>, timeBase: AVRational) throws {
        packet.pointee.stream_index = videoIndex
        av_packet_rescale_ts(packet, timeBase, videoTimeBase)
        let time = packet.pointee.dts != noPTS ? packet.pointee.dts : packet.pointee.pts
        try copy?.copy(until: time == noPTS ? nil : (time, videoTimeBase), write: write)
        try write(packet)
    }

    /// Copies what remains of the copied streams, completes the container and closes the file.
    func finish() throws {
        guard let out = output else { return }
        try copy?.copy(until: nil, write: write)
        clearFFmpegError()
        let trailer = av_write_trailer(out)
        guard trailer >= 0 else {
            throw MediaError(.writeFailed, plan.url, "cannot complete the file (\(ffErrorText(trailer))\(lastFFmpegError()))")
        }
        if out.pointee.pb != nil {
            let closed = avio_closep(&out.pointee.pb)
            guard closed >= 0 else { throw MediaError(.writeFailed, plan.url, "cannot complete the file (\(ffErrorText(closed)))") }
        }
    }

    private func write(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        guard let out = output else { return }
        let rc = av_interleaved_write_frame(out, packet)  // takes the packet's reference
        guard rc >= 0 else {
            throw MediaError(.writeFailed, plan.url, "write failed after \(framesSoFar()) frames (\(ffErrorText(rc)))")
        }
    }
}
