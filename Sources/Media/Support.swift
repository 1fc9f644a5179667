import CFFmpeg
import Foundation
import KinecolorFiles
import Synchronization

// Internal glue between Swift and the FFmpeg C API. Nothing here is public.

let averrorEOF = kc_averror_eof()
let averrorEAGAIN = kc_averror_eagain()
let averrorInvalidData = kc_averror_invaliddata()
let noPTS = kc_nopts()

/// FFmpeg's text for an AVERROR code (av_err2str is a macro Swift cannot import).
func ffErrorText(_ code: Int32) -> String {
    var buffer = [CChar](repeating: 0, count: 256)
    if av_strerror(code, &buffer, buffer.count) < 0 { return "error \(code)" }
    return String(cString: buffer)
}

/// Library-wide one-time setup. FFmpeg logs every concealed macroblock and muxer complaint to
/// stderr; the reader counts damage itself and errors carry their own one-line message, so the
/// log is captured instead: the last error line is kept to explain a failing call
/// (`lastFFmpegError`). Set KINECOLOR_FFMPEG_LOG=1 to see FFmpeg's own log instead (debugging).
let quietFFmpegLog: Void = {
    if ProcessInfo.processInfo.environment["KINECOLOR_FFMPEG_LOG"] != nil {
        av_log_set_level(AV_LOG_WARNING)
    } else {
        kc_install_log_capture()
    }
}()

/// FFmpeg logs from whichever thread hit the problem (decoder, encoder, muxer).
private let capturedError = Mutex<String?>(nil)

/// Receives each FFmpeg error line from the C shim (kc_log_capture) and keeps the last one.
@_cdecl("kc_log_sink")
func ffmpegLogSink(_ level: Int32, _ line: UnsafePointer<CChar>?) {
    guard let line else { return }
    var text = String(cString: line).trimmingCharacters(in: .whitespacesAndNewlines)
    while text.hasSuffix(".") { text.removeLast() }
    guard !text.isEmpty else { return }
    capturedError.withLock { $0 = text }
}

/// Forgets the captured log line, before a call whose failure we want to explain.
func clearFFmpegError() {
    capturedError.withLock { $0 = nil }
}

/// The last error FFmpeg logged since `clearFFmpegError`, as "; detail" ready to append, or "".
func lastFFmpegError() -> String {
    capturedError.withLock { $0 }.map { "; \($0)" } ?? ""
}

/// A rational number as FFmpeg uses for time bases, frame rates and aspect ratios.
/// `0/1` or `x/0` mean "unknown", as in FFmpeg.
public struct Rational: Hashable, Sendable, CustomStringConvertible {
    public var numerator: Int32
    public var denominator: Int32

    public init(_ numerator: Int32, _ denominator: Int32) {
        self.numerator = numerator
        self.denominator = denominator
    }

    /// The value as a Double; 0 when unknown.
    public var doubleValue: Double {
        denominator == 0 ? 0 : Double(numerator) / Double(denominator)
    }

    /// Both terms non-zero (FFmpeg's convention for "set").
    public var isKnown: Bool { numerator != 0 && denominator != 0 }

    public var description: String { "\(numerator)/\(denominator)" }

    init(_ r: AVRational) { self.init(r.num, r.den) }
    var av: AVRational { AVRational(num: numerator, den: denominator) }

    /// How `rescale` rounds a timestamp that falls between two ticks.
    public enum Rounding: Sendable {
        /// To the nearest tick, halves away from zero (av_rescale_q).
        case nearest
        /// To the next tick toward +infinity.
        case up
    }

    /// `ticks` of this time base expressed in ticks of `target`, in exact integer arithmetic
    /// (av_rescale_q_rnd): a Double second has too few bits for a long film's timestamps in a
    /// fine time base, and rounds a tick's half either way.
    public func rescale(_ ticks: Int64, to target: Rational, rounding: Rounding = .nearest) -> Int64 {
        if self == target { return ticks }
        return av_rescale_q_rnd(ticks, av, target.av, rounding == .up ? AV_ROUND_UP : AV_ROUND_NEAR_INF)
    }
}

/// `HH:MM:SS.mmm` for log lines and error messages ("frame 1234 at 00:00:49.360"), signed: a
/// damaged file's timestamps can be negative.
func formatTimestamp(seconds: Double) -> String {
    guard seconds.isFinite else { return "--:--:--.---" }
    return (seconds < 0 ? "-" : "") + Timecode.format(milliseconds: Int((abs(seconds) * 1000).rounded()))
}

func dictionaryValue(_ dict: OpaquePointer?, _ key: String) -> String? {
    guard let e = av_dict_get(dict, key, nil, 0) else { return nil }
    return String(cString: e.pointee.value)
}

/// Opens `url` with libavformat and reads stream info, turning every failure mode a user can
/// cause (missing, empty, directory, not media) into a one-line `MediaError`.
/// The caller owns the returned context and must `avformat_close_input` it.
func openInput(_ url: URL) throws -> UnsafeMutablePointer<AVFormatContext> {
    _ = quietFFmpegLog
    let path = url.path
    if ImageSequence.isPattern(path) {
        return try readStreamInfo(try ImageSequence(pattern: path).open(), url: url)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw MediaError(.cannotOpen, url, "no such file")
    }
    if isDirectory.boolValue {
        throw MediaError(.cannotOpen, url, "is a directory, not a media file")
    }
    if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
       size.int64Value == 0 {
        throw MediaError(.cannotOpen, url, "empty file, not a media file")
    }
    var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
    clearFFmpegError()
    let rc = avformat_open_input(&ctx, path, nil, nil)
    guard rc >= 0, let ctx else {
        if rc == averrorInvalidData {
            throw MediaError(.cannotOpen, url, "not a media file libavformat can open (\(ffErrorText(rc))\(lastFFmpegError()))")
        }
        // The error code alone can mislead (a Y4M header with an impossible picture size comes
        // back as "Device or resource busy"): add the demuxer's own complaint.
        throw MediaError(.cannotOpen, url, "cannot open (\(ffErrorText(rc))\(lastFFmpegError()))")
    }
    // The tty demuxer claims any .txt/.nfo/.asc file and renders it as ANSI art "video";
    // nobody colorizes that, and accepting it would hide a wrong-file mistake.
    let demuxer = String(cString: ctx.pointee.iformat.pointee.name)
    if demuxer == "tty" {
        var c: UnsafeMutablePointer<AVFormatContext>? = ctx
        avformat_close_input(&c)
        throw MediaError(.cannotOpen, url,
                         "not a media file libavformat can open (it only looks like text)")
    }
    return try readStreamInfo(ctx, url: url)
}

/// Checks the picture sizes an opened input declares, then reads its stream information;
/// closes the input on failure.
private func readStreamInfo(_ ctx: UnsafeMutablePointer<AVFormatContext>, url: URL) throws -> UnsafeMutablePointer<AVFormatContext> {
    // Finding the stream information decodes a frame or two: a header that claims a giant
    // picture would cost gigabytes right here, so check the sizes it declares first.
    for st in ctx.streamList where st.pointee.codecpar.pointee.codec_type == AVMEDIA_TYPE_VIDEO
        && st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC == 0 {
        let par = st.pointee.codecpar.pointee
        if let problem = MediaReader.sizeProblem(width: Int(par.width), height: Int(par.height)) {
            let index = st.pointee.index
            var c: UnsafeMutablePointer<AVFormatContext>? = ctx
            avformat_close_input(&c)
            throw MediaError(.cannotOpen, url, "video stream \(index): \(problem)")
        }
    }
    clearFFmpegError()
    let info = avformat_find_stream_info(ctx, nil)
    if info < 0 {
        var c: UnsafeMutablePointer<AVFormatContext>? = ctx
        avformat_close_input(&c)
        throw MediaError(.cannotOpen, url, "cannot read stream information (\(ffErrorText(info))\(lastFFmpegError()))")
    }
    return ctx
}

extension UnsafeMutablePointer where Pointee == AVFormatContext {
    /// The streams of an open context as a Swift array of non-optional pointers.
    var streamList: [UnsafeMutablePointer<AVStream>] {
        (0..<Int(pointee.nb_streams)).compactMap { pointee.streams[$0] }
    }
}

/// An AVFrame that owns its picture buffers, allocated by libav itself (aligned, with the line
/// padding libswscale and the encoders read and write past the visible width).
final class AVFrameBox {
    let frame: UnsafeMutablePointer<AVFrame>

    init(width: Int, height: Int, format: AVPixelFormat) throws {
        guard let f = av_frame_alloc() else { throw MediaError(.codecUnavailable, URL(fileURLWithPath: "picture"), "out of memory") }
        frame = f
        f.pointee.width = Int32(width)
        f.pointee.height = Int32(height)
        f.pointee.format = format.rawValue
        guard av_frame_get_buffer(f, 0) >= 0 else {
            var owned: UnsafeMutablePointer<AVFrame>? = f
            av_frame_free(&owned)
            throw MediaError(.codecUnavailable, URL(fileURLWithPath: "picture"), "out of memory for a \(width)×\(height) picture")
        }
    }

    deinit {
        var owned: UnsafeMutablePointer<AVFrame>? = frame
        av_frame_free(&owned)
    }
}
