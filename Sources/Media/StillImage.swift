import CFFmpeg
import Foundation
import KinecolorFiles

/// Writes single pictures as PNG (previews, stills, contact sheets), with libswscale for the
/// Y′CbCr → RGB conversion (the same conversion ffmpeg applies when a frame is extracted from a
/// video) and libavcodec's PNG encoder. The file appears atomically.
public enum StillImage {
    /// `frame` (any bit depth and chroma subsampling, limited or full range) as an 8-bit RGB PNG.
    public static func writePNG(_ frame: VideoFrame, matrix: ColorMatrix, to url: URL, overwrite: Bool = false) throws {
        try writePNG(rgb: rgb(frame, matrix: matrix), width: frame.width, height: frame.height, to: url, overwrite: overwrite)
    }

    /// `frame` converted to interleaved 8-bit RGB.
    public static func rgb(_ frame: VideoFrame, matrix: ColorMatrix) throws -> [UInt8] {
        let target = try converted(frame, matrix: matrix, to: AV_PIX_FMT_RGB24)
        var rgb = [UInt8](repeating: 0, count: frame.width * frame.height * 3)
        let rowBytes = frame.width * 3, stride = Int(kc_frame_linesize(target.frame, 0))
        let base = UnsafeRawPointer(kc_frame_data(target.frame, 0)!)
        rgb.withUnsafeMutableBytes { out in
            for y in 0..<frame.height {
                out.baseAddress!.advanced(by: y * rowBytes).copyMemory(from: base + y * stride, byteCount: rowBytes)
            }
        }
        return rgb
    }

    /// `frame` converted to an RGB picture in `format` (RGB24, RGB48, planar GBR of 10 bits…).
    static func converted(_ frame: VideoFrame, matrix: ColorMatrix, to rgbFormat: AVPixelFormat) throws -> AVFrameBox {
        // 8-bit frames go through the same unscaled converter ffmpeg uses when it extracts a frame
        // as PNG, so a preview matches a frame taken from a render; deeper ones through 16 bits.
        let eight = frame.bitDepth == 8
        let format: AVPixelFormat
        switch (frame.chroma.log2Width, frame.chroma.log2Height, eight) {
        case (1, 1, true): format = AV_PIX_FMT_YUV420P
        case (1, 0, true): format = AV_PIX_FMT_YUV422P
        case (0, 0, true): format = AV_PIX_FMT_YUV444P
        case (1, 1, false): format = AV_PIX_FMT_YUV420P16LE
        case (1, 0, false): format = AV_PIX_FMT_YUV422P16LE
        case (0, 0, false): format = AV_PIX_FMT_YUV444P16LE
        default: throw MediaError(.codecUnavailable, URL(fileURLWithPath: "picture"), "chroma subsampling \(frame.chroma) cannot be written as PNG")
        }
        let w = Int32(frame.width), h = Int32(frame.height)
        guard let sws = sws_getContext(w, h, format, w, h, rgbFormat, Int32(SWS_BICUBIC), nil, nil, nil) else {
            throw MediaError(.codecUnavailable, URL(fileURLWithPath: "picture"), "cannot convert \(frame.width)×\(frame.height) to RGB")
        }
        defer { sws_freeContext(sws) }
        let cs: Int32
        switch matrix {
        case .bt709: cs = SWS_CS_ITU709
        case .bt2020nc: cs = SWS_CS_BT2020
        default: cs = SWS_CS_ITU601
        }
        let coefficients = sws_getCoefficients(cs)
        sws_setColorspaceDetails(sws, coefficients, frame.fullRange ? 1 : 0, coefficients, 1, 0, 1 << 16, 1 << 16)

        // libswscale reads and writes whole SIMD vectors, so both pictures must be allocated the
        // way libav allocates them (aligned, padded line sizes); tight Swift arrays are overrun.
        let source = try AVFrameBox(width: frame.width, height: frame.height, format: format)
        let target = try AVFrameBox(width: frame.width, height: frame.height, format: rgbFormat)
        let shift = UInt16(16 - frame.bitDepth)
        let widths = [frame.width, frame.chromaWidth, frame.chromaWidth]
        let heights = [frame.height, frame.chromaHeight, frame.chromaHeight]
        for (i, plane) in [frame.y, frame.u, frame.v].enumerated() {
            writePlane(eight ? plane : plane.map { $0 << shift }, into: source.frame, planeIndex: i,
                       width: widths[i], height: heights[i], bytesPerSample: eight ? 1 : 2)
        }
        let rows = sws_scale(sws, kc_frame_const_data_array(source.frame), kc_frame_linesize_array(source.frame), 0, h,
                             kc_frame_data_array(target.frame), kc_frame_linesize_array(target.frame))
        guard rows == h else {
            throw MediaError(.codecUnavailable, URL(fileURLWithPath: "picture"), "RGB conversion failed")
        }
        return target
    }

    /// Interleaved 8-bit RGB as a PNG file.
    public static func writePNG(rgb: [UInt8], width: Int, height: Int, to url: URL, overwrite: Bool = false) throws {
        precondition(rgb.count == width * height * 3)
        try AtomicFile.checkDestination(url, overwrite: overwrite)
        guard let codec = avcodec_find_encoder(AV_CODEC_ID_PNG), let context = avcodec_alloc_context3(codec) else {
            throw MediaError(.codecUnavailable, url, "this FFmpeg has no PNG encoder")
        }
        var owned: UnsafeMutablePointer<AVCodecContext>? = context
        defer { avcodec_free_context(&owned) }
        let ctx = context
        ctx.pointee.width = Int32(width)
        ctx.pointee.height = Int32(height)
        ctx.pointee.pix_fmt = AV_PIX_FMT_RGB24
        ctx.pointee.time_base = AVRational(num: 1, den: 25)
        var packetBox: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        defer { av_packet_free(&packetBox) }
        guard avcodec_open2(ctx, codec, nil) >= 0, let packet = packetBox else {
            throw MediaError(.codecUnavailable, url, "cannot open the PNG encoder")
        }
        let picture = try AVFrameBox(width: width, height: height, format: AV_PIX_FMT_RGB24)
        let frame = picture.frame
        let stride = Int(kc_frame_linesize(frame, 0))
        let base = kc_frame_data(frame, 0)!
        rgb.withUnsafeBufferPointer { src in
            for y in 0..<height { (base + y * stride).update(from: src.baseAddress! + y * width * 3, count: width * 3) }
        }
        guard avcodec_send_frame(ctx, frame) >= 0, avcodec_send_frame(ctx, nil) >= 0 else {
            throw MediaError(.codecUnavailable, url, "PNG encoding failed")
        }
        var bytes = Data()
        while avcodec_receive_packet(ctx, packet) >= 0 {
            bytes.append(packet.pointee.data, count: Int(packet.pointee.size))
            av_packet_unref(packet)
        }
        try AtomicFile.write(bytes, to: url, overwrite: overwrite)
    }
}
