import CFFmpeg
import Foundation

/// The video stream as `MediaReader` delivers it, and as `MediaWriter` should reproduce it.
///
/// Geometry, bit depth, subsampling and range describe the *frames the reader hands out*
/// (which equal the decoded pictures except for RGB/palette sources, see `lumaIsComputed`).
/// Timing and tags come from the container and are what the writer copies to the output.
public struct VideoStreamInfo: Sendable, Equatable {
    /// Index of the stream in the input file (`0:v:0` is not necessarily 0).
    public var index: Int
    /// Decoder name as FFmpeg spells it, e.g. `h264`, `mpeg4`, `png`.
    public var codecName: String
    public var width: Int
    public var height: Int
    /// Pixel format the decoder produces, e.g. `yuv420p`, `yuvj422p`, `gray16be`, `rgb24`.
    public var pixelFormatName: String
    /// Bits per sample of the delivered frames, 8…16.
    public var bitDepth: Int
    /// Subsampling of the delivered frames' chroma planes (4:2:0 for gray sources).
    public var chroma: ChromaSubsampling
    /// True when the source is not YUV or gray (RGB, palette, Bayer, float...), so swscale
    /// computed Y from RGB (full range, BT.601 below 720 lines, BT.709 from 720) instead of
    /// copying it.
    public var lumaIsComputed: Bool
    /// Pixel aspect ratio; 0/1 when unknown (treated as square).
    public var sampleAspectRatio: Rational
    /// Rotation from the display matrix in degrees, with ffprobe's sign (-90 for a phone
    /// held upright); 0 when the stream has no display matrix.
    public var rotation: Double
    /// Range of the delivered frames. Gray and RGB sources are full range unless tagged.
    public var colorRange: ColorRange
    public var colorMatrix: ColorMatrix
    public var colorPrimaries: ColorPrimaries
    public var colorTransfer: ColorTransfer
    /// Unit of `VideoFrame.pts` and `.duration`.
    public var timeBase: Rational
    /// Average frame rate over the stream (frames ÷ duration); may be unknown (0/1).
    public var averageFrameRate: Rational
    /// Lowest rate that represents all timestamps exactly (FFmpeg's r_frame_rate).
    public var realFrameRate: Rational
    /// Start of the stream in `timeBase`, when the container says.
    public var startPTS: Int64?
    /// Length of the stream in `timeBase`, when the container says.
    public var durationPTS: Int64?
    /// Frame count from the container header, or duration × frame rate; nil when neither is known.
    /// An estimate: count the frames `MediaReader` returns for the truth.
    public var frameCountEstimate: Int?
    /// The frame count the container's header or index states (MP4, MOV); nil when it has none
    /// (Matroska, MPEG-TS) or counts frames that do not decode (AVI). Not checked against the frames.
    public var declaredFrameCount: Int?

    /// The display matrix exactly as stored (nine 16.16/2.30 fixed-point values), so the writer
    /// can reproduce flips as well as rotations. Nil when the input has none.
    var displayMatrix: [Int32]?
    /// Chroma siting (AVChromaLocation), copied so 4:2:0 chroma lands where the source had it.
    var chromaLocation: Int32 = 0
    /// Field order (AVFieldOrder) from the container or, failing that, the first decoded frame,
    /// copied so an interlaced film stays tagged as such: its frames are two woven fields,
    /// colorized as one picture.
    var fieldOrder: UInt32 = 0

    /// True when the frames are interlaced (two fields woven into each frame).
    public var isInterlaced: Bool { fieldOrder > AV_FIELD_PROGRESSIVE.rawValue }

    /// "top field first", "bottom field first" (or a mixed order), nil for progressive or unknown.
    public var fieldOrderName: String? {
        switch AVFieldOrder(fieldOrder) {
        case AV_FIELD_TT: return "top field first"
        case AV_FIELD_BB: return "bottom field first"
        case AV_FIELD_TB: return "top field coded first, bottom displayed first"
        case AV_FIELD_BT: return "bottom field coded first, top displayed first"
        default: return nil
        }
    }

    /// A stream that did not come from a file, e.g. frames synthesized by a test or a still.
    public init(width: Int, height: Int, bitDepth: Int = 8, chroma: ChromaSubsampling = .yuv420,
                timeBase: Rational, frameRate: Rational,
                colorRange: ColorRange = .unspecified, colorMatrix: ColorMatrix = .unspecified,
                colorPrimaries: ColorPrimaries = .unspecified, colorTransfer: ColorTransfer = .unspecified,
                sampleAspectRatio: Rational = Rational(1, 1), rotation: Double = 0) {
        precondition(width > 0 && height > 0 && (8...16).contains(bitDepth))
        self.index = 0
        self.codecName = "rawvideo"
        self.width = width
        self.height = height
        self.pixelFormatName = "yuv\(chroma)p"
        self.bitDepth = bitDepth
        self.chroma = chroma
        self.lumaIsComputed = false
        self.sampleAspectRatio = sampleAspectRatio
        self.rotation = rotation
        self.colorRange = colorRange
        self.colorMatrix = colorMatrix
        self.colorPrimaries = colorPrimaries
        self.colorTransfer = colorTransfer
        self.timeBase = timeBase
        self.averageFrameRate = frameRate
        self.realFrameRate = frameRate
    }

    /// Best single frame rate for encoder hints: average if known, else real.
    public var frameRate: Rational { averageFrameRate.isKnown ? averageFrameRate : realFrameRate }

    /// Stream duration in seconds, when known.
    public var duration: Double? { durationPTS.map { seconds(ofPTS: $0) } }

    /// A timestamp in `timeBase` converted to seconds.
    public func seconds(ofPTS pts: Int64) -> Double { Double(pts) * timeBase.doubleValue }

    /// `HH:MM:SS.mmm` of a timestamp in `timeBase`, for messages.
    public func timestamp(ofPTS pts: Int64) -> String { formatTimestamp(seconds: seconds(ofPTS: pts)) }
}

/// What kind of data a stream carries.
public enum StreamKind: String, Sendable {
    case video, audio, subtitle, data, attachment, unknown

    init(_ t: AVMediaType) {
        switch t {
        case AVMEDIA_TYPE_VIDEO: self = .video
        case AVMEDIA_TYPE_AUDIO: self = .audio
        case AVMEDIA_TYPE_SUBTITLE: self = .subtitle
        case AVMEDIA_TYPE_DATA: self = .data
        case AVMEDIA_TYPE_ATTACHMENT: self = .attachment
        default: self = .unknown
        }
    }
}

/// Any stream of a file, described for messages ("#1 audio aac, 48000 Hz, 5.1 [eng]").
public struct StreamDescription: Sendable, Equatable, CustomStringConvertible {
    public let index: Int
    public let kind: StreamKind
    public let codecName: String
    /// ISO 639 language tag from the container, if any (`und` is kept as written).
    public let language: String?
    public let title: String?
    /// Cover art in a video slot: a still picture, never the film.
    public let isAttachedPicture: Bool
    /// Kind-specific detail: `640x360`, `48000 Hz, 5.1`.
    public let detail: String

    init(_ st: UnsafeMutablePointer<AVStream>) {
        let par = st.pointee.codecpar!.pointee
        index = Int(st.pointee.index)
        kind = StreamKind(par.codec_type)
        codecName = avcodec_get_name(par.codec_id).map { String(cString: $0) } ?? "unknown"
        language = dictionaryValue(st.pointee.metadata, "language")
        title = dictionaryValue(st.pointee.metadata, "title")
        isAttachedPicture = (st.pointee.disposition & AV_DISPOSITION_ATTACHED_PIC) != 0
        switch kind {
        case .video:
            detail = "\(par.width)x\(par.height)"
        case .audio:
            var layout = [CChar](repeating: 0, count: 64)
            var chLayout = par.ch_layout
            if chLayout.order == AV_CHANNEL_ORDER_UNSPEC {
                // WAV and others often leave the layout unsaid; name the usual one for the count.
                av_channel_layout_default(&chLayout, par.ch_layout.nb_channels)
            }
            let named = av_channel_layout_describe(&chLayout, &layout, layout.count) > 0
            detail = "\(par.sample_rate) Hz, " + (named ? String(cString: layout) : "\(par.ch_layout.nb_channels) channels")
        default:
            detail = ""
        }
    }

    public var description: String {
        var text = "#\(index) \(kind.rawValue) \(codecName)"
        if isAttachedPicture { text += " (cover art)" }
        if !detail.isEmpty { text += ", \(detail)" }
        if let language { text += " [\(language)]" }
        if let title { text += " \"\(title)\"" }
        return text
    }
}
