import CFFmpeg
import Foundation

/// Writes single pictures as PNG (previews, stills, contact sheets), with libswscale for the
/// Y′CbCr → RGB conversion (the same conversion ffmpeg applies when a frame is extracted from a
/// video) and libavcodec's PNG encoder. The file appears atomically.
public enum StillImage {
    /// Color matrix of a Y′CbCr picture, for the conversion to RGB.
    public enum Matrix: Sendable { case bt601, bt709, bt2020 }

    /// `frame` (any bit depth and chroma subsampling, limited or full range) as an 8-bit RGB PNG.
    public static func writePNG(_ frame: VideoFrame, matrix: Matrix, to url: URL, overwrite: Bool = false) throws {
        try writePNG(rgb: rgb(frame, matrix: matrix), width: frame.width, height: frame.height, to: url, overwrite: overwrite)
    }

    /// `frame` converted to interleaved 8-bit RGB.
    public static func rgb(_ frame: VideoFrame, matrix: Matrix) throws -> [UInt8] {
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
        guard let sws = sws_getContext(w, h, format, w, h, AV_PIX_FMT_RGB24, Int32(SWS_BICUBIC), nil, nil, nil) else {
            throw MediaError(.codecUnavailable, URL(fileURLWithPath: "picture"), "cannot convert \(frame.width)×\(frame.height) to RGB")
        }
        defer { sws_freeContext(sws) }
        let cs: Int32
        switch matrix {
        case .bt601: cs = SWS_CS_ITU601
        case .bt709: cs = SWS_CS_ITU709
        case .bt2020: cs = SWS_CS_BT2020
        }
        let coefficients = sws_getCoefficients(cs)
        sws_setColorspaceDetails(sws, coefficients, frame.fullRange ? 1 : 0, coefficients, 1, 0, 1 << 16, 1 << 16)

        let shift = UInt16(16 - frame.bitDepth)
        let planes: [[UInt8]] = [frame.y, frame.u, frame.v].map { plane in
            if eight { return plane.map { UInt8(truncatingIfNeeded: $0) } }
            var bytes = [UInt8](repeating: 0, count: plane.count * 2)
            for (i, v) in plane.enumerated() {
                let wide = v << shift
                bytes[2 * i] = UInt8(wide & 0xff)
                bytes[2 * i + 1] = UInt8(wide >> 8)
            }
            return bytes
        }
        let bytesPerSample = eight ? 1 : 2
        let widths = [frame.width, frame.chromaWidth, frame.chromaWidth]
        var rgb = [UInt8](repeating: 0, count: frame.width * frame.height * 3)
        try planes[0].withUnsafeBufferPointer { p0 in
            try planes[1].withUnsafeBufferPointer { p1 in
                try planes[2].withUnsafeBufferPointer { p2 in
                    try rgb.withUnsafeMutableBufferPointer { out in
                        var src: [UnsafePointer<UInt8>?] = [p0.baseAddress, p1.baseAddress, p2.baseAddress]
                        var srcStride: [Int32] = widths.map { Int32($0 * bytesPerSample) }
                        var dst: [UnsafeMutablePointer<UInt8>?] = [out.baseAddress]
                        var dstStride: [Int32] = [w * 3]
                        let rows = sws_scale(sws, &src, &srcStride, 0, h, &dst, &dstStride)
                        guard rows == h else {
                            throw MediaError(.codecUnavailable, URL(fileURLWithPath: "picture"), "RGB conversion failed")
                        }
                    }
                }
            }
        }
        return rgb
    }

    /// Interleaved 8-bit RGB as a PNG file.
    public static func writePNG(rgb: [UInt8], width: Int, height: Int, to url: URL, overwrite: Bool = false) throws {
        precondition(rgb.count == width * height * 3)
        let name = url.lastPathComponent
        if !overwrite && FileManager.default.fileExists(atPath: url.path) {
            throw MediaError(.destinationExists, url, "already exists (use --overwrite to replace it)")
        }
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
        var frameBox: UnsafeMutablePointer<AVFrame>? = av_frame_alloc()
        var packetBox: UnsafeMutablePointer<AVPacket>? = av_packet_alloc()
        defer { av_frame_free(&frameBox); av_packet_free(&packetBox) }
        guard avcodec_open2(ctx, codec, nil) >= 0, let frame = frameBox, let packet = packetBox else {
            throw MediaError(.codecUnavailable, url, "cannot open the PNG encoder")
        }
        frame.pointee.width = Int32(width)
        frame.pointee.height = Int32(height)
        frame.pointee.format = AV_PIX_FMT_RGB24.rawValue
        guard av_frame_get_buffer(frame, 0) >= 0 else { throw MediaError(.codecUnavailable, url, "out of memory") }
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
        let temp = url.deletingLastPathComponent().appendingPathComponent(".\(name).partial-\(getpid())")
        do {
            try bytes.write(to: temp)
            // rename(2) replaces the destination atomically (overwrite was checked by the caller).
            guard rename(temp.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw MediaError(.writeFailed, url, "cannot write (\(error.localizedDescription))")
        }
    }
}
