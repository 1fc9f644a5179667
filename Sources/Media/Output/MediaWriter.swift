import CFFmpeg
import Foundation

/// Encodes frames into a new file and copies every audio and subtitle stream of the input into
/// it, packet for packet (byte-identical, same timestamps), with chapters and metadata.
///
/// The work is split as ffmpeg splits it: an `OutputPlan` decides everything up front (container,
/// encoder, stream map, notes) and runs every check that needs no file; a `VideoEncoder` turns
/// frames into packets; a `Muxer` writes them, interleaved by time with the packets `StreamCopy`
/// takes from a second demuxer of the input; an `OutputPlacement` puts the file in place.
///
/// * The output goes to a hidden sibling, `.NAME.partial-PID.EXT`, which `finish()` renames
///   onto the destination. Closing without `finish()` (an error, `cancel()`, or the writer being
///   released) deletes it, so a destination path never holds half a film.
/// * Everything that can be checked up front is checked in `init`, before any encoding: the
///   destination does not exist (unless `overwrite`) and is not the input, its directory is
///   writable, the container can hold the encoded video and every copied stream, the encoder
///   exists and opens, the container header can be written.
/// * Timestamps: the encoder works in the input's time base and every frame keeps its pts and
///   duration. Containers with a fixed clock re-express them exactly when they can: Matroska
///   counts milliseconds, MP4/MOV raise small timescales (1/25 becomes 1/12800), and AVI counts
///   frames, so for AVI the time base is one frame (1 / real frame rate).
///
/// Not thread-safe: use from one task.
public final class MediaWriter {
    public let url: URL
    public let video: VideoStreamInfo
    public let options: EncodeOptions
    /// Streams copied from the input, as described in the input.
    public var copiedStreams: [StreamDescription] { plan.copiedStreams }
    /// One line per input stream (or part of one) that is not in the output, with the reason.
    /// Complete after `finish()`.
    public var notes: [String] { plan.notes + muxer.notes }
    /// Pixel format the encoder receives, e.g. `yuv420p`, `yuv422p10le`.
    public var encoderPixelFormatName: String { plan.encoderPixelFormatName }
    /// Frames accepted by `write`, and those of appended segments.
    public var framesWritten: Int { encoder.framesEncoded + framesAppended }
    private var framesAppended = 0

    /// An excerpt: the parts of the input's timeline to keep and how far each part moves
    /// earlier in the output, in ticks of the video time base. Copied packets outside every part
    /// are dropped, the others shifted, in exact integer arithmetic on each stream's own ticks.
    /// The caller shifts the video frames it writes the same way. nil: everything, unshifted.
    public var excerpt: [ExcerptPart]? {
        didSet { muxer.excerpt = excerpt }
    }

    private let plan: OutputPlan
    private let encoder: VideoEncoder
    private let muxer: Muxer
    private var state = State.open
    private enum State { case open, finished, failed }

    /// Prepares `url` for writing; nothing is encoded yet.
    /// - Parameters:
    ///   - input: the file whose audio, subtitles, chapters and metadata are copied (normally the
    ///     file the frames came from); nil writes the video alone.
    ///   - video: the stream to reproduce — size, time base, SAR, rotation, color tags, and its
    ///     `index` in `input` (the encoded video takes that slot so stream numbers stay the same).
    ///   - overwrite: replace an existing destination (never the input itself).
    public convenience init(url: URL, copyingStreamsFrom input: URL?, video: VideoStreamInfo,
                            options: EncodeOptions = EncodeOptions(), overwrite: Bool = false) throws {
        try self.init(plan: OutputPlan(url: url, input: input, video: video, options: options, overwrite: overwrite),
                      video: video, options: options)
    }

    /// Opens the encoder, sets up the container and writes its header into the hidden file.
    init(plan: OutputPlan, video: VideoStreamInfo, options: EncodeOptions) throws {
        url = plan.url
        self.video = video
        self.options = options
        self.plan = plan
        let encoder = try VideoEncoder(plan.encoding, options: options, video: video,
                                       globalHeader: plan.container.wantsGlobalHeader, url: plan.url)
        self.encoder = encoder
        muxer = try Muxer(plan: plan, encoder: encoder, video: video) { [unowned encoder] in encoder.framesEncoded }
        try muxer.start()
    }

    /// Copies the packets of a segment that `EncodedSegmentWriter` wrote for this film into it,
    /// byte for byte with their presentation times, instead of encoding its frames. Segments
    /// come in order; the copied audio and subtitles interleave with them as with encoded frames.
    ///
    /// Decode times are laid anew on one line for the whole film, as an encoder that saw every
    /// frame lays them: packet j decodes at the presentation time of frame j - d, d being the
    /// encoder's reordering depth (x264's B-frames). An encoder given one shot alone lays them
    /// from that shot only (x264 gives a shot of fewer than d + 1 frames no delay at all), which
    /// could step back at the joins. Throws `SegmentMismatch` (and the writer is closed) when the
    /// segment was encoded otherwise (other settings, another encoder build) or reorders more
    /// than d, so the caller can encode the film instead.
    public func append(segmentAt segment: URL) throws {
        try checkOpen()
        do {
            guard let context = encoder.openedContext else { throw MediaError(.writeFailed, url, "the encoder is closed") }
            let depth = Int(max(0, context.pointee.has_b_frames))
            let expected = EncodedSegmentHeader(context)
            // First pass: the segment's presentation times, in presentation order.
            let times = try PacketFileReader(segment)
            guard try EncodedSegmentHeader(reading: times) == expected else {
                throw times.problem("was encoded with other settings than this film")
            }
            var shown: [Int64] = []
            while try !times.atEnd() {
                let pts = try times.int64()
                _ = try times.bytes(20)
                let size = try times.int32()
                guard size >= 0, size < 1 << 30 else { throw times.problem("has a packet of \(size) bytes (damaged)") }
                try times.skip(Int(size))
                guard pts != noPTS else { throw times.problem("has a packet without a presentation time") }
                shown.append(pts)
            }
            shown.sort()
            if let previous = decodeLine.shown, let first = shown.first, first <= previous {
                throw times.problem("its frames do not come after the previous segment's")
            }
            // The presentation line from d frames before this segment on; and the film's opening
            // delay, for its first d packets (the gap between its frames 0 and d).
            let line = decodeLine.tail + shown
            if decodeLine.opening == nil, let first = line.first {
                decodeLine.opening = line.count > depth ? line[depth] - first : Int64(depth) * plan.encoding.nominalDuration
            }
            let reader = try PacketFileReader(segment)
            _ = try EncodedSegmentHeader(reading: reader)
            var owned = av_packet_alloc()
            defer { av_packet_free(&owned) }
            guard let packet = owned else { throw MediaError(.cannotCreate, url, "out of memory") }
            for i in shown.indices {
                let pts = try reader.int64()
                _ = try reader.int64()
                let duration = try reader.int64(), flags = try reader.int32(), size = try reader.int32()
                let j = decodeLine.count + i, back = decodeLine.tail.count + i - depth
                let dts = j < depth ? line[decodeLine.tail.count + i] - decodeLine.opening! : line[back]
                guard dts <= pts, decodeLine.last.map({ dts > $0 }) ?? true else {
                    throw reader.problem("reorders its frames more than the film's encoder (\(depth) frames)")
                }
                decodeLine.last = dts
                guard av_new_packet(packet, size) >= 0 else { throw MediaError(.cannotCreate, url, "out of memory") }
                if size > 0 { try reader.read(Int(size), into: packet.pointee.data) }
                packet.pointee.pts = pts
                packet.pointee.dts = dts
                packet.pointee.duration = duration
                packet.pointee.flags = flags
                try writeVideo(packet)
            }
            decodeLine.count += shown.count
            decodeLine.tail = Array(line.suffix(depth))
            decodeLine.shown = line.last
            framesAppended += shown.count
        } catch {
            fail()
            throw error
        }
    }

    /// Where the decode times of appended segments stand: packets so far, the last d
    /// presentation times, the film's opening delay, the last decode and presentation times.
    private var decodeLine = (count: 0, tail: [Int64](), opening: Int64?.none, last: Int64?.none, shown: Int64?.none)

    /// Runs every check `init` makes (container, codecs, stream copy, destination, header) and
    /// leaves nothing on disk, so a command can refuse a bad output before hours of work.
    /// Returns the plan's notes (streams left out and why), for the command to say before the
    /// long passes.
    @discardableResult
    public static func check(url: URL, copyingStreamsFrom input: URL, videoStream: Int?, options: EncodeOptions,
                             overwrite: Bool) throws -> [String] {
        let reader = try MediaReader(url: input, videoStream: videoStream)
        defer { reader.close() }
        let plan = try OutputPlan(url: url, input: input, video: reader.video, options: options, overwrite: overwrite)
        try MediaWriter(plan: plan, video: reader.video, options: options).cancel()
        return plan.notes
    }

    deinit {
        if state == .open { release(keepingFile: false) }
    }

    /// Encodes one frame. Frames must come in presentation order with increasing `pts` (in
    /// `video.timeBase`) and the stream's size. Any bit depth 8…16 and any chroma subsampling
    /// are accepted: chroma is resampled to the encoder's layout, depth is shifted.
    public func write(_ frame: VideoFrame) throws {
        try checkOpen()
        do {
            try encoder.encode(frame, emit: writeVideo)
        } catch {
            fail()
            throw error
        }
    }

    /// Flushes the encoder, copies the rest of the audio and subtitles, completes the container
    /// and moves the file onto the destination. Without this call nothing is left on disk.
    public func finish() throws {
        try checkOpen()
        do {
            guard framesWritten > 0 else { throw MediaError(.writeFailed, url, "no frames were written") }
            try encoder.finish(emit: writeVideo)
            try muxer.finish()
            try plan.placement.place()
            state = .finished
            release(keepingFile: true)
        } catch {
            fail()
            throw error
        }
    }

    /// Abandons the output: frees everything and deletes the temporary file. Safe to call twice.
    public func cancel() {
        if state == .open { fail() }
    }

    private func writeVideo(_ packet: UnsafeMutablePointer<AVPacket>) throws {
        try muxer.writeVideo(packet, timeBase: plan.encoding.timeBase)
    }

    private func checkOpen() throws {
        guard state == .open else {
            throw MediaError(.writeFailed, url, "the writer is already \(state == .finished ? "finished" : "closed (cancelled or failed)")")
        }
    }

    private func fail() {
        state = .failed
        release(keepingFile: false)
    }

    /// Frees the encoder, the container and the input; the hidden file is deleted unless placed.
    private func release(keepingFile: Bool) {
        muxer.close()
        encoder.close()
        plan.source?.close()
        if !keepingFile { plan.placement.discard() }
    }
}
