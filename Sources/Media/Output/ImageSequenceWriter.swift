import CFFmpeg
import Foundation
import KinecolorFiles

/// Writes frames as a numbered image sequence, `out_%06d.tif`, `.dpx` or `.png`, numbered from 1
/// as ffmpeg's image2 muxer numbers them: the form restoration and grading tools exchange.
///
/// * Depth: 8-bit frames become 8-bit RGB; deeper frames 16-bit RGB (PNG, TIFF) or, for DPX,
///   10-bit RGB when the frames are 10-bit (the scanners' DPX), else 16-bit. Y′CbCr → R′G′B′ as
///   `StillImage` converts previews (the stream's matrix and range), so a frame of a sequence
///   equals the preview of that frame.
/// * Files: every frame is written into a hidden folder beside the destination,
///   `.NAME.partial-PID`, and `finish()` moves them into place; `cancel()` (or an error) deletes
///   the folder, so no half-written sequence is left under the real names. An existing file of
///   the sequence is refused up front unless `overwrite`.
/// * Audio and subtitles cannot be part of an image sequence: `notes` says what was left out.
public final class ImageSequenceWriter: PendingOutput {
    public let pattern: String
    public let video: VideoStreamInfo
    public private(set) var framesWritten = 0
    /// The file extensions this writer knows, as the error for another one lists them.
    public static let extensions = ["png", "tif", "tiff", "dpx"]

    private let codecName: String
    private let pixelFormat: AVPixelFormat
    private let matrix: ColorMatrix
    private let overwrite: Bool
    private let staging: URL
    private var context: UnsafeMutablePointer<AVCodecContext>?
    private var packet: UnsafeMutablePointer<AVPacket>?
    var outputState = PendingOutputState.open

    /// Checks the pattern, the folder and (with `frameCount`) that none of the files exists,
    /// then opens the image encoder; nothing is written yet.
    public init(pattern: String, video: VideoStreamInfo, frameCount: Int?, overwrite: Bool) throws {
        _ = quietFFmpegLog
        self.pattern = pattern
        self.video = video
        self.overwrite = overwrite
        let url = URL(fileURLWithPath: pattern)
        guard ImageSequence.numberField(in: url.lastPathComponent) != nil else {
            throw MediaError(.cannotCreate, url, "an image sequence needs a frame number in its name (e.g. out_%06d.tif)")
        }
        let ext = url.pathExtension.lowercased()
        let deep = video.bitDepth > 8
        let codecID: AVCodecID
        switch ext {
        case "png": (codecID, pixelFormat) = (AV_CODEC_ID_PNG, deep ? AV_PIX_FMT_RGB48BE : AV_PIX_FMT_RGB24)
        case "tif", "tiff": (codecID, pixelFormat) = (AV_CODEC_ID_TIFF, deep ? AV_PIX_FMT_RGB48LE : AV_PIX_FMT_RGB24)
        case "dpx":
            codecID = AV_CODEC_ID_DPX
            pixelFormat = !deep ? AV_PIX_FMT_RGB24 : video.bitDepth == 10 ? AV_PIX_FMT_GBRP10LE : AV_PIX_FMT_RGB48LE
        default:
            throw MediaError(.unsupportedByContainer, url, "cannot write an image sequence of .\(ext) files (use .tif, .dpx or .png)")
        }
        matrix = ColorMatrix.shown(video)
        let folder = url.deletingLastPathComponent()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw MediaError(.cannotCreate, url, "directory \(folder.path) does not exist")
        }
        if let frameCount, !overwrite {
            for number in 1...max(1, frameCount) where FileManager.default.fileExists(atPath: ImageSequence.path(pattern, number: number)) {
                throw MediaError(.destinationExists, URL(fileURLWithPath: ImageSequence.path(pattern, number: number)),
                                 "already exists (use -y to overwrite)")
            }
        }
        guard let codec = avcodec_find_encoder(codecID), let context = avcodec_alloc_context3(codec),
              let packet = av_packet_alloc() else {
            throw MediaError(.codecUnavailable, url, "this FFmpeg has no .\(ext) encoder")
        }
        codecName = String(cString: codec.pointee.name)
        self.context = context
        self.packet = packet
        context.pointee.width = Int32(video.width)
        context.pointee.height = Int32(video.height)
        context.pointee.pix_fmt = pixelFormat
        context.pointee.time_base = AVRational(num: 1, den: 25)
        context.pointee.sample_aspect_ratio = video.sampleAspectRatio.av
        let opened = avcodec_open2(context, codec, nil)
        guard opened >= 0 else {
            throw MediaError(.codecUnavailable, url, "cannot open the \(codecName) encoder (\(ffErrorText(opened)))")
        }
        staging = folder.appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())")
        do {
            try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw MediaError(.cannotCreate, url, "cannot create a folder in \(folder.path) (\(AtomicFile.reason(error)))")
        }
    }

    deinit {
        cancelOutput()
        avcodec_free_context(&context)
        av_packet_free(&packet)
    }

    /// Runs the checks `init` makes (pattern, extension, folder, encoder) for a sequence made
    /// from `input`'s video, leaving nothing on disk, and returns what the sequence cannot hold
    /// (the input's audio and subtitles), one line each, for the command to say up front.
    public static func check(pattern: String, input: URL, videoStream: Int?, overwrite: Bool) throws -> [String] {
        let reader = try MediaReader(url: input, videoStream: videoStream)
        defer { reader.close() }
        try ImageSequenceWriter(pattern: pattern, video: reader.video, frameCount: nil, overwrite: overwrite).cancel()
        let streams = (try? MediaProbe.streams(of: input)) ?? []
        return streams.filter { $0.kind == .audio || $0.kind == .subtitle }
            .map { "\($0) left out: an image sequence holds pictures only" }
    }

    /// Writes the next frame as the next file.
    public func write(_ frame: VideoFrame) throws {
        guard let context, let packet else { throw closed }
        try whileOpen(closedError: closed) {
            let picture = try StillImage.converted(frame, matrix: matrix, to: pixelFormat)
            picture.frame.pointee.pts = Int64(framesWritten)
            let sent = avcodec_send_frame(context, picture.frame)
            guard sent >= 0 else { throw MediaError(.writeFailed, URL(fileURLWithPath: pattern), "\(codecName) encoding failed (\(ffErrorText(sent)))") }
            var bytes = Data()
            while avcodec_receive_packet(context, packet) >= 0 {
                bytes.append(packet.pointee.data, count: Int(packet.pointee.size))
                av_packet_unref(packet)
            }
            let name = (ImageSequence.path(pattern, number: framesWritten + 1) as NSString).lastPathComponent
            do {
                try bytes.write(to: staging.appendingPathComponent(name))
            } catch {
                throw MediaError(.writeFailed, URL(fileURLWithPath: pattern), "cannot write \(name) (\(AtomicFile.reason(error)))")
            }
            framesWritten += 1
        }
    }

    /// Moves every file into place (never over a file that appeared meanwhile, unless
    /// overwriting) and removes the hidden folder.
    public func finish() throws {
        try finishing(closedError: closed) {
            guard framesWritten > 0 else { throw MediaError(.writeFailed, URL(fileURLWithPath: pattern), "no frames were written") }
            for number in 1...framesWritten {
                let destination = URL(fileURLWithPath: ImageSequence.path(pattern, number: number))
                do {
                    try AtomicFile.place(staging.appendingPathComponent(destination.lastPathComponent), at: destination, overwrite: overwrite)
                } catch let error as FileError {
                    throw MediaError(error.kind == .appearedWhileWriting ? .destinationAppeared : .writeFailed, destination, error.reason)
                }
            }
            try? FileManager.default.removeItem(at: staging)
        }
    }

    /// Deletes the hidden folder and what it holds; safe to call twice.
    public func cancel() { cancelOutput() }

    func discardOutput() {
        try? FileManager.default.removeItem(at: staging)
    }

    private var closed: MediaError { MediaError(.writeFailed, URL(fileURLWithPath: pattern), "the sequence is already closed") }
}
