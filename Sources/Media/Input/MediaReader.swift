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
    private var decoder: StreamDecoder?
    private let converter = RGBConverter()
    private let streamIndex: Int32
    private let nominalDuration: Int64
    private var lastPTS: Int64?
    private var lastDuration: Int64 = 0
    private var lastSize: (Int, Int)?
    /// Set when the input is an image sequence, whose files must agree with its first.
    private let sequence: ImageSequence?
    private var sequenceFirst: (width: Int, height: Int, depth: Int, name: String)?
    private var warnedSynthesizedPTS = false
    private var buffered: VideoFrame?
    private var pendingError: Error?
    /// Where the container says the stream ends (start + stream duration), in the time base.
    private var streamEnd: Int64?
    private var firstPicture: FirstPicture?
    private var decodedCount = 0
    /// The first frame's timestamp: frame k of a regular stream is at `firstPTS + k × ticks`.
    private var firstPTS: Int64 = 0
    /// After a seek, every frame's number comes from its timestamp on the stream's regular grid
    /// (and is checked there); frames before `skipBefore` are dropped without being converted.
    private var grid: (ticks: Double, skipBefore: Int)?
    /// What the decoder said about the first damaged packet, to explain a stream that yields nothing.
    private var firstDamage: String?

    /// Opens `url` and prepares to decode its first video stream, or stream `videoStream`
    /// (a file-wide stream index, as ffprobe numbers them). Cover art is never chosen.
    /// `threads` is passed to the decoder; 0 lets FFmpeg pick.
    public init(url: URL, videoStream: Int? = nil, threads: Int = 0) throws {
        self.url = url
        sequence = ImageSequence.isPattern(url.path) ? try ImageSequence(pattern: url.path) : nil
        let input = try InputFile(url)
        let chosen = try VideoStreamProbe.choose(videoStream, in: input, url: url)
        streamIndex = chosen.pointee.index
        otherStreams = input.streams.filter { $0 != chosen }.map(StreamDescription.init)
        for st in input.streams where st != chosen { st.pointee.discard = AVDISCARD_ALL }
        // A provisional description (container values) so messages during the first decode work.
        let probed = VideoStreamProbe.describe(chosen, in: input)
        video = probed.info
        streamEnd = probed.streamEnd
        nominalDuration = probed.nominalDuration

        // A few bytes of header can claim a picture of gigabytes: refuse before decoding one.
        let par = chosen.pointee.codecpar.pointee
        if let problem = Self.sizeProblem(width: Int(par.width), height: Int(par.height)) {
            throw MediaError(.decodeFailed, url, problem)
        }
        decoder = try StreamDecoder(input, stream: chosen, threads: threads, url: url)

        // Decode the first picture now: it fixes the real pixel format, and a file whose
        // video cannot be decoded at all is rejected here, at open time.
        guard let first = try decodeNext(), let picture = firstPicture else {
            throw MediaError(.decodeFailed, url, noFirstFrameReason())
        }
        buffered = first
        firstPTS = first.pts
        video = VideoStreamProbe.completed(video, first: first, picture: picture)
        if let order = video.fieldOrderName {
            // The pictures stay woven fields: nothing deinterlaces them, and the network sees
            // both fields at once. Say so rather than pass it over in silence.
            warn("the video is interlaced (\(order)); each frame is colorized as one picture of two woven fields "
                 + "and written with the same field order tag (deinterlace it first, e.g. with ffmpeg -vf bwdif, "
                 + "for a progressive result)")
        }
    }

    /// Why not a single frame could be decoded, for the error `init` throws.
    private func noFirstFrameReason() -> String {
        let info = video
        let reason = damagedPacketCount > 0
            ? "\(damagedPacketCount) damaged packets, the first: \(firstDamage ?? "unknown error")"
            : (info.frameCountEstimate ?? 0) > 0
                ? "none of the ~\(info.frameCountEstimate!) announced frames is in the file; it may be truncated"
                : "the stream is empty"
        // The size the decoder last saw (the bitstream's own claim), else the container's.
        let (w, h) = decoder?.codedSize ?? (info.width, info.height)
        return "no video frame could be decoded from stream \(streamIndex), \(info.codecName) \(w)x\(h) (\(reason))"
    }

    deinit { close() }

    /// Frees the demuxer, decoder and buffers now. Later `nextFrame()` calls return nil.
    public func close() {
        decoder = nil
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

    private func decodeNext() throws -> VideoFrame? {
        guard let decoder else { return nil }
        var consecutiveErrors = 0
        while let step = decoder.next() {
            switch step {
            case .picture(let frame):
                defer { av_frame_unref(frame) }
                if let grid {
                    let k = try gridIndex(frame.pointee.best_effort_timestamp, ticks: grid.ticks)
                    if k < grid.skipBefore { continue }
                    decodedCount = k
                }
                return try makeFrame(frame)
            case .endOfStream:
                noteEarlyEnd()
                return nil
            case .rejectedPacket(let code):
                noteDamage(code)
            case .decodeError(let code):
                noteDamage(code)
                consecutiveErrors += 1
                if consecutiveErrors > 10_000 { decoder.stop() }
            case .readFailed(let code):
                let position = lastPTS.map { "after frame \(decodedCount - 1) (\(video.timestamp(ofPTS: $0)))" }
                    ?? "before the first frame"
                throw MediaError(.decodeFailed, url, "cannot read stream \(streamIndex) \(position): \(ffErrorText(code))")
            }
        }
        return nil
    }

    // MARK: - Seeking

    /// Timestamp units per frame of a stream with one constant rate, nil otherwise.
    private var frameTicks: Double? {
        let rate = video.averageFrameRate, base = video.timeBase
        guard rate.numerator > 0, rate.denominator > 0, base.numerator > 0, base.denominator > 0,
              rate == video.realFrameRate else { return nil }
        return 1 / (rate.doubleValue * base.doubleValue)
    }

    /// Whether `seek(toFrame:)` can find frame k of a stream of `frameCount` frames by time: its
    /// rate is constant and its frames fill its stated length exactly, with no gap in which a
    /// dropped frame would shift the numbers a read from the start gives.
    public func canSeek(frameCount: Int) -> Bool {
        guard let ticks = frameTicks, let end = streamEnd, frameCount > 0 else { return false }
        return abs(Double(end - firstPTS) / ticks - Double(frameCount)) < 0.5
    }

    /// The film's frame count without decoding it, where that is safe to seek by: the container
    /// states a count, and it fills the stream's length at one constant rate (`canSeek`). A frame
    /// the decoder cannot decode still makes a read from the start count fewer.
    public var seekableFrameCount: Int? {
        guard let count = video.declaredFrameCount, canSeek(frameCount: count) else { return nil }
        return count
    }

    /// Positions the reader so that `nextFrame()` returns frame `index` (numbered as a read from
    /// the start numbers it), decoding from the keyframe before it instead of from the start.
    /// Only where `canSeek` said so; throws `SeekMiss` when the stream's timestamps turn out not
    /// to be on its grid, and the reader must then be opened again to be read from the start.
    public func seek(toFrame index: Int) throws {
        guard let ticks = frameTicks, let decoder else { throw SeekMiss() }
        // A demuxer that seeks by decoding time can land after the frame: start further back.
        for back in [0.0, 2, 10, 60] {
            let seconds = back / max(video.timeBase.doubleValue, 1e-9)
            guard decoder.seek(to: firstPTS + Int64(max(0, Double(index) * ticks - seconds).rounded(.down))) else { throw SeekMiss() }
            buffered = nil
            pendingError = nil
            lastPTS = nil
            grid = (ticks, index)
            guard let frame = try decodeNext() else { throw SeekMiss() }
            if frame.index == index {
                buffered = frame
                return
            }
        }
        throw SeekMiss()
    }

    /// The frame number of a timestamp on the grid; `SeekMiss` when it is off the grid.
    private func gridIndex(_ pts: Int64, ticks: Double) throws -> Int {
        guard pts != noPTS else { throw SeekMiss() }
        let slot = Double(pts - firstPTS) / ticks
        let k = Int(slot.rounded())
        guard k >= 0, abs(slot - Double(k)) < 0.25 else { throw SeekMiss() }
        return k
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

    /// A scan whose files change size or bit depth part-way is a mistake to name (the file),
    /// not a change for a film to follow: every file of a sequence must be like its first.
    private func checkSequenceFile(_ index: Int, width: Int, height: Int, format: Int32) throws {
        guard let sequence else { return }
        let depth = av_pix_fmt_desc_get(AVPixelFormat(format)).map { Int(kc_pixdesc_comp($0, 0).depth) } ?? 0
        let name = (sequence.path(of: sequence.first + index) as NSString).lastPathComponent
        // The first file this reader decoded (after a seek, not the sequence's first).
        guard let first = sequenceFirst else {
            sequenceFirst = (width, height, depth, name)
            return
        }
        let firstName = first.name
        if (width, height) != (first.width, first.height) {
            throw MediaError(.decodeFailed, url, "\(name) is \(width)x\(height), \(firstName) \(first.width)x\(first.height); "
                             + "every file of a sequence must have one size")
        }
        if depth != first.depth {
            throw MediaError(.decodeFailed, url, "\(name) has \(depth)-bit samples, \(firstName) \(first.depth)-bit; "
                             + "every file of a sequence must have one bit depth")
        }
    }

    private func makeFrame(_ frame: UnsafeMutablePointer<AVFrame>) throws -> VideoFrame {
        let f = frame.pointee
        let index = decodedCount
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
        try checkSequenceFile(index, width: width, height: height, format: f.format)
        if let size = lastSize, size != (width, height) {
            warn("picture size changes at frame \(index) from \(size.0)x\(size.1) to \(width)x\(height)")
        }

        let planes = try DecodedPlanes(frame, width: width, height: height, converter: converter, url: url, index: index)
        if index == 0 { firstPicture = FirstPicture(frame, converted: planes.converted) }
        decodedCount += 1
        lastPTS = pts
        lastDuration = duration
        lastSize = (width, height)
        return VideoFrame(width: width, height: height, bitDepth: planes.depth, fullRange: planes.fullRange,
                          chroma: planes.chroma, y: planes.y, u: planes.u, v: planes.v, pts: pts, duration: duration, index: index)
    }
}

/// A seek did not land where the frame numbers of a read from the start say: the stream's
/// timestamps are not one regular grid. Read it from the start instead.
public struct SeekMiss: Error, CustomStringConvertible {
    public init() {}
    public var description: String { "the stream's timestamps are irregular; it cannot be entered by seeking" }
}
