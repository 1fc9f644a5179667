import CFFmpeg
import Foundation

/// The samples of one decoded picture as the reader hands them out: planar YUV at the source's
/// depth, with neutral chroma for gray sources and swscale's YUV for everything else.
struct DecodedPlanes {
    var depth: Int
    var chroma: ChromaSubsampling
    var fullRange: Bool
    var y: [UInt16]
    var u: [UInt16]
    var v: [UInt16]
    /// True when swscale computed the planes (RGB, palette...) instead of copying them.
    var converted: Bool

    /// Reads `frame` (of `width`×`height`); throws only when swscale cannot convert it.
    init(_ frame: UnsafeMutablePointer<AVFrame>, width: Int, height: Int,
         converter: RGBConverter, url: URL, index: Int) throws {
        let f = frame.pointee
        let pixelFormat = AVPixelFormat(f.format)
        let layout = SourceLayout(pixelFormat)
        fullRange = f.color_range == AVCOL_RANGE_JPEG
        converted = false
        switch layout {
        case let .yuv(d, c):
            (depth, chroma) = (d, c)
            let cw = c.planeWidth(width), ch = c.planeHeight(height)
            y = readComponent(frame, pixelFormat, component: 0, width: width, height: height)
            u = readComponent(frame, pixelFormat, component: 1, width: cw, height: ch)
            v = readComponent(frame, pixelFormat, component: 2, width: cw, height: ch)
            // yuvj* formats are full range by definition, tagged or not.
            if String(cString: kc_pixdesc_name(pixelFormat)).hasPrefix("yuvj") { fullRange = true }
        case let .gray(d):
            (depth, chroma) = (d, .yuv420)
            y = readComponent(frame, pixelFormat, component: 0, width: width, height: height)
            let count = chroma.planeWidth(width) * chroma.planeHeight(height)
            u = [UInt16](repeating: UInt16(1 << (d - 1)), count: count)
            v = u
            // Gray pictures (PNG, TIFF...) use the full code range unless tagged otherwise.
            if f.color_range != AVCOL_RANGE_MPEG { fullRange = true }
        case .convert:
            (depth, chroma) = layout.delivered
            guard let planes = converter.convert(frame, depth: depth) else {
                throw MediaError(.decodeFailed, url,
                                 "cannot convert frame \(index) from \(String(cString: kc_pixdesc_name(pixelFormat))) to YUV")
            }
            (y, u, v) = planes
            fullRange = true
            converted = true
        }
    }
}

extension FirstPicture {
    /// What `frame`, the first decoded picture, says about the stream.
    init(_ frame: UnsafeMutablePointer<AVFrame>, converted: Bool) {
        let f = frame.pointee
        formatName = kc_pixdesc_name(AVPixelFormat(f.format)).map { String(cString: $0) } ?? "unknown"
        layoutConverted = converted
        matrix = ColorMatrix(rawValue: Int32(bitPattern: f.colorspace.rawValue))
        primaries = ColorPrimaries(rawValue: Int32(bitPattern: f.color_primaries.rawValue))
        transfer = ColorTransfer(rawValue: Int32(bitPattern: f.color_trc.rawValue))
        interlacedTopFirst = f.interlaced_frame != 0 ? f.top_field_first != 0 : nil
    }
}
