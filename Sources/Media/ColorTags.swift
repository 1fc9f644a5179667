import CFFmpeg

// Color tags travel from the input to the output untouched, so a BT.601 SD film stays BT.601
// and a full-range source stays full range. Raw values are the ITU-T H.273 code points, which
// are also FFmpeg's enum values; names are FFmpeg's (the ones ffprobe prints).

/// Whether sample values use the whole code range or the broadcast (limited) range.
public enum ColorRange: Sendable, Hashable, CustomStringConvertible {
    /// Not tagged. For YUV this conventionally means limited.
    case unspecified
    /// 16…235 luma at 8 bits (scaled by 2^(bitDepth-8) above).
    case limited
    /// 0…2^bitDepth−1.
    case full

    init(_ r: AVColorRange) {
        switch r {
        case AVCOL_RANGE_MPEG: self = .limited
        case AVCOL_RANGE_JPEG: self = .full
        default: self = .unspecified
        }
    }

    var av: AVColorRange {
        switch self {
        case .unspecified: return AVCOL_RANGE_UNSPECIFIED
        case .limited: return AVCOL_RANGE_MPEG
        case .full: return AVCOL_RANGE_JPEG
        }
    }

    public var description: String { String(cString: av_color_range_name(av)) }
}

/// YUV↔RGB matrix coefficients (H.273 MatrixCoefficients).
public struct ColorMatrix: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let rgb = ColorMatrix(rawValue: 0)
    public static let bt709 = ColorMatrix(rawValue: 1)
    public static let unspecified = ColorMatrix(rawValue: 2)
    public static let bt470bg = ColorMatrix(rawValue: 5)
    /// BT.601 525-line; numerically the same matrix as bt470bg.
    public static let smpte170m = ColorMatrix(rawValue: 6)
    public static let bt2020nc = ColorMatrix(rawValue: 9)

    public var description: String {
        av_color_space_name(AVColorSpace(UInt32(bitPattern: rawValue))).map { String(cString: $0) }
            ?? "matrix \(rawValue)"
    }
}

extension ColorMatrix {
    /// BT.601, the matrix of SD video and of JPEG (numerically the same as `bt470bg`).
    public static let bt601 = ColorMatrix.smpte170m

    /// The matrix a stream's frames are converted with (colorization, PNG previews): its own tag
    /// when that is BT.601, BT.709 or BT.2020; otherwise BT.709 from 720 lines up and BT.601
    /// below, as players assume for untagged video.
    public static func shown(_ video: VideoStreamInfo) -> ColorMatrix {
        switch video.colorMatrix {
        case .bt709: return .bt709
        case .bt470bg, .smpte170m: return .bt601
        case .bt2020nc: return .bt2020nc
        default: return video.height >= 720 ? .bt709 : .bt601
        }
    }

    /// Luma weights Kr and Kb (Kg = 1 − Kr − Kb) of the three matrices `shown` gives; any other
    /// matrix converts as BT.601.
    public var lumaWeights: (kr: Float, kb: Float) {
        switch self {
        case .bt709: return (0.2126, 0.0722)
        case .bt2020nc: return (0.2627, 0.0593)
        default: return (0.299, 0.114)
        }
    }
}

/// Chromaticity of the primaries (H.273 ColourPrimaries).
public struct ColorPrimaries: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let bt709 = ColorPrimaries(rawValue: 1)
    public static let unspecified = ColorPrimaries(rawValue: 2)
    public static let bt470m = ColorPrimaries(rawValue: 4)
    public static let bt470bg = ColorPrimaries(rawValue: 5)
    public static let smpte170m = ColorPrimaries(rawValue: 6)
    public static let bt2020 = ColorPrimaries(rawValue: 9)

    public var description: String {
        av_color_primaries_name(AVColorPrimaries(UInt32(bitPattern: rawValue))).map { String(cString: $0) }
            ?? "primaries \(rawValue)"
    }
}

/// Opto-electronic transfer characteristic (H.273 TransferCharacteristics).
public struct ColorTransfer: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int32
    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let bt709 = ColorTransfer(rawValue: 1)
    public static let unspecified = ColorTransfer(rawValue: 2)
    public static let gamma22 = ColorTransfer(rawValue: 4)
    public static let gamma28 = ColorTransfer(rawValue: 5)
    public static let smpte170m = ColorTransfer(rawValue: 6)
    public static let srgb = ColorTransfer(rawValue: 13)

    public var description: String {
        av_color_transfer_name(AVColorTransferCharacteristic(UInt32(bitPattern: rawValue))).map { String(cString: $0) }
            ?? "transfer \(rawValue)"
    }
}

/// How much smaller the chroma planes are than luma, as powers of two.
public struct ChromaSubsampling: Hashable, Sendable, CustomStringConvertible {
    /// Chroma width = ceil(luma width / 2^log2Width).
    public let log2Width: Int
    /// Chroma height = ceil(luma height / 2^log2Height).
    public let log2Height: Int

    public init(log2Width: Int, log2Height: Int) {
        precondition((0...2).contains(log2Width) && (0...2).contains(log2Height),
                     "chroma subsampling beyond 4x is not a YUV layout")
        self.log2Width = log2Width
        self.log2Height = log2Height
    }

    public static let yuv420 = ChromaSubsampling(log2Width: 1, log2Height: 1)
    public static let yuv422 = ChromaSubsampling(log2Width: 1, log2Height: 0)
    public static let yuv444 = ChromaSubsampling(log2Width: 0, log2Height: 0)
    public static let yuv440 = ChromaSubsampling(log2Width: 0, log2Height: 1)
    public static let yuv411 = ChromaSubsampling(log2Width: 2, log2Height: 0)
    public static let yuv410 = ChromaSubsampling(log2Width: 2, log2Height: 2)

    /// Width of a chroma plane for a picture `lumaWidth` wide (rounded up, as FFmpeg does).
    public func planeWidth(_ lumaWidth: Int) -> Int { (lumaWidth + (1 << log2Width) - 1) >> log2Width }
    /// Height of a chroma plane for a picture `lumaHeight` high (rounded up).
    public func planeHeight(_ lumaHeight: Int) -> Int { (lumaHeight + (1 << log2Height) - 1) >> log2Height }

    public var description: String {
        switch (log2Width, log2Height) {
        case (1, 1): return "4:2:0"
        case (1, 0): return "4:2:2"
        case (0, 0): return "4:4:4"
        case (0, 1): return "4:4:0"
        case (2, 0): return "4:1:1"
        case (2, 2): return "4:1:0"
        default: return "1/\(1 << log2Width)x1/\(1 << log2Height)"
        }
    }
}
