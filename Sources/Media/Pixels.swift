import CFFmpeg

// Moving samples between AVFrames and VideoFrame planes. Luma is copied sample for sample
// whenever the decoder already produces YUV or gray, whatever the packing (planar, nv12-style
// semi-planar, yuyv-style packed, big- or little-endian, MSB-aligned like p010): everything is
// driven by the pixel format descriptor, the same way av_read_image_line2 reads samples.

/// How the reader gets planar YUV out of a decoder pixel format.
enum SourceLayout {
    /// Y, Cb, Cr readable straight from the frame; `chroma` is the source subsampling.
    case yuv(depth: Int, chroma: ChromaSubsampling)
    /// Y only; chroma is synthesized as neutral 4:2:0.
    case gray(depth: Int)
    /// RGB, palette, Bayer, float, XYZ, 1-bit...: swscale converts to planar YUV 4:4:4.
    case convert(depth: Int)

    init(_ format: AVPixelFormat) {
        guard let desc = av_pix_fmt_desc_get(format) else { self = .convert(depth: 8); return }
        let d = desc.pointee
        let comps = Int(d.nb_components)
        let depth = Int(kc_pixdesc_comp(desc, 0).depth)
        let unsupportedFlags = UInt64(AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_BITSTREAM
            | AV_PIX_FMT_FLAG_FLOAT | AV_PIX_FMT_FLAG_BAYER | AV_PIX_FMT_FLAG_HWACCEL)
        let name = String(cString: d.name)
        let fits = (0..<min(comps, 3)).allSatisfy {
            let c = kc_pixdesc_comp(desc, Int32($0))
            return c.depth >= 8 && c.depth <= 16 && c.depth + c.shift <= 16 && c.depth == Int32(depth)
        }
        if d.flags & unsupportedFlags != 0 || !fits || name.hasPrefix("xyz") || comps == 0 {
            self = .convert(depth: max(8, min(16, depth)))
        } else if comps <= 2 {
            self = .gray(depth: depth)
        } else if d.log2_chroma_w <= 2 && d.log2_chroma_h <= 2 {
            self = .yuv(depth: depth, chroma: ChromaSubsampling(log2Width: Int(d.log2_chroma_w),
                                                                log2Height: Int(d.log2_chroma_h)))
        } else {
            self = .convert(depth: max(8, min(16, depth)))
        }
    }

    /// Bit depth and subsampling of the frames the reader builds from this layout.
    var delivered: (depth: Int, chroma: ChromaSubsampling) {
        switch self {
        case let .yuv(depth, chroma): return (depth, chroma)
        case let .gray(depth): return (depth, .yuv420)
        case let .convert(depth): return (PlanarTarget.deliveredDepth(forSource: depth), .yuv444)
        }
    }
}

/// Reads one component of a frame into a tight row-major UInt16 plane.
func readComponent(_ frame: UnsafePointer<AVFrame>, _ format: AVPixelFormat, component: Int,
                   width: Int, height: Int) -> [UInt16] {
    let desc = av_pix_fmt_desc_get(format)!
    let c = kc_pixdesc_comp(desc, Int32(component))
    let bigEndian = desc.pointee.flags & UInt64(AV_PIX_FMT_FLAG_BE) != 0
    let base = UnsafeRawPointer(kc_frame_data(frame, c.plane)!)
    let lineSize = Int(kc_frame_linesize(frame, c.plane))
    let step = Int(c.step), offset = Int(c.offset), shift = UInt32(c.shift)
    let mask = UInt32((1 << Int(c.depth)) - 1)
    var out = [UInt16](repeating: 0, count: width * height)
    out.withUnsafeMutableBufferPointer { dst in
        if c.depth + c.shift <= 8 {
            for row in 0..<height {
                let src = base + row * lineSize + offset
                let d = dst.baseAddress! + row * width
                if step == 1 && shift == 0 {
                    let s = src.assumingMemoryBound(to: UInt8.self)
                    for x in 0..<width { d[x] = UInt16(s[x]) }
                } else {
                    for x in 0..<width {
                        d[x] = UInt16((UInt32(src.load(fromByteOffset: x * step, as: UInt8.self)) >> shift) & mask)
                    }
                }
            }
        } else {
            for row in 0..<height {
                let src = base + row * lineSize + offset
                let d = dst.baseAddress! + row * width
                for x in 0..<width {
                    let raw = src.loadUnaligned(fromByteOffset: x * step, as: UInt16.self)
                    let value = bigEndian ? UInt16(bigEndian: raw) : UInt16(littleEndian: raw)
                    d[x] = UInt16((UInt32(value) >> shift) & mask)
                }
            }
        }
    }
    return out
}

/// The planar little-endian YUV formats the converter and the encoders use.
enum PlanarTarget {
    /// swscale output depth for a non-YUV source: 8, 10, 12 or 16 bits.
    static func deliveredDepth(forSource depth: Int) -> Int {
        depth <= 8 ? 8 : depth <= 10 ? 10 : depth <= 12 ? 12 : 16
    }

    /// `yuv420p`, `yuv422p10le`, ... or AV_PIX_FMT_NONE when FFmpeg has no such format.
    static func format(depth: Int, chroma: ChromaSubsampling) -> AVPixelFormat {
        let layout: String
        switch (chroma.log2Width, chroma.log2Height) {
        case (1, 1): layout = "420"
        case (1, 0): layout = "422"
        case (0, 0): layout = "444"
        case (0, 1): layout = "440"
        case (2, 0): layout = "411"
        case (2, 2): layout = "410"
        default: return AV_PIX_FMT_NONE
        }
        return av_get_pix_fmt("yuv\(layout)p" + (depth > 8 ? "\(depth)le" : ""))
    }
}

/// swscale wrapper for sources that are not YUV or gray. Owns its SwsContext and output frame.
final class RGBConverter {
    private var sws: OpaquePointer?
    private var output: UnsafeMutablePointer<AVFrame>?
    private var key: (Int32, Int32, Int32) = (-1, -1, -1)

    deinit {
        sws_freeContext(sws)
        av_frame_free(&output)
    }

    /// Full-range planar 4:4:4 YUV of `frame`: Y = weighted R, G, B with the BT.601 weights below
    /// 720 lines and BT.709 from 720 up (so R = G = B = v gives Y = v).
    func convert(_ frame: UnsafePointer<AVFrame>, depth: Int) -> (y: [UInt16], u: [UInt16], v: [UInt16])? {
        let width = frame.pointee.width, height = frame.pointee.height
        let target = PlanarTarget.format(depth: depth, chroma: .yuv444)
        if key != (frame.pointee.format, width, height) || output == nil {
            sws_freeContext(sws)
            av_frame_free(&output)
            sws = sws_getContext(width, height, AVPixelFormat(frame.pointee.format), width, height, target,
                                 SWS_POINT | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT | SWS_BITEXACT, nil, nil, nil)
            guard sws != nil, let out = av_frame_alloc() else { return nil }
            output = out
            out.pointee.width = width
            out.pointee.height = height
            out.pointee.format = target.rawValue
            guard av_frame_get_buffer(out, 0) >= 0 else { return nil }
            let matrix = height >= 720 ? SWS_CS_ITU709 : SWS_CS_ITU601
            let coefficients = sws_getCoefficients(matrix)
            // Source range is irrelevant for RGB; destination is full range so gray stays exact.
            sws_setColorspaceDetails(sws, coefficients, 1, coefficients, 1, 0, 1 << 16, 1 << 16)
            key = (frame.pointee.format, width, height)
        }
        guard let out = output else { return nil }
        let rc = sws_scale(sws, kc_frame_const_data_array(frame), kc_frame_linesize_array(frame), 0, height,
                           kc_frame_data_array(out), kc_frame_linesize_array(out))
        guard rc > 0 else { return nil }
        let w = Int(width), h = Int(height)
        return (readComponent(out, target, component: 0, width: w, height: h),
                readComponent(out, target, component: 1, width: w, height: h),
                readComponent(out, target, component: 2, width: w, height: h))
    }
}

/// Resamples a chroma plane between subsamplings of the same picture: averaging when the target
/// is coarser (4:4:4 → 4:2:0 averages 2×2 blocks), repeating samples when it is finer
/// (4:2:0 → 4:2:2 repeats each chroma row). Repetition keeps the original values, so a
/// round trip back to the source subsampling is lossless.
func resampleChroma(_ plane: [UInt16], lumaWidth: Int, lumaHeight: Int,
                    from: ChromaSubsampling, to: ChromaSubsampling) -> [UInt16] {
    if from == to { return plane }
    let sw = from.planeWidth(lumaWidth), sh = from.planeHeight(lumaHeight)
    let tw = to.planeWidth(lumaWidth), th = to.planeHeight(lumaHeight)
    // Source span for each target column and row: 2^k samples when shrinking, 1 when growing.
    func spans(_ count: Int, _ shift: Int, _ limit: Int) -> [(start: Int, end: Int)] {
        (0..<count).map { t in
            if shift >= 0 { return (t << shift, min((t + 1) << shift, limit)) }
            let s = min(t >> -shift, limit - 1)
            return (s, s + 1)
        }
    }
    let columns = spans(tw, to.log2Width - from.log2Width, sw)
    let rows = spans(th, to.log2Height - from.log2Height, sh)
    var out = [UInt16](repeating: 0, count: tw * th)
    plane.withUnsafeBufferPointer { src in
        out.withUnsafeMutableBufferPointer { dst in
            for ty in 0..<th {
                let (y0, y1) = rows[ty]
                for tx in 0..<tw {
                    let (x0, x1) = columns[tx]
                    var sum = 0
                    for sy in y0..<y1 {
                        let line = sy * sw
                        for sx in x0..<x1 { sum += Int(src[line + sx]) }
                    }
                    let n = (y1 - y0) * (x1 - x0)
                    dst[ty * tw + tx] = UInt16((sum + n / 2) / n)
                }
            }
        }
    }
    return out
}

/// Changes bit depth by shifting: left shifts are exact (8-bit 235 → 10-bit 940, the same
/// limited-range white), right shifts round to nearest.
func rescaleDepth(_ plane: [UInt16], from: Int, to: Int) -> [UInt16] {
    if from == to { return plane }
    if to > from {
        let s = UInt16(to - from)
        return plane.map { $0 << s }
    }
    let s = from - to, half = 1 << (s - 1), maxValue = (1 << to) - 1
    return plane.map { UInt16(min((Int($0) + half) >> s, maxValue)) }
}

/// Writes a tight plane into an AVFrame plane of an 8-bit or 16-bit little-endian planar format.
func writePlane(_ plane: [UInt16], into frame: UnsafeMutablePointer<AVFrame>, planeIndex: Int,
                width: Int, height: Int, bytesPerSample: Int) {
    let base = UnsafeMutableRawPointer(kc_frame_data(frame, Int32(planeIndex))!)
    let lineSize = Int(kc_frame_linesize(frame, Int32(planeIndex)))
    plane.withUnsafeBufferPointer { src in
        for row in 0..<height {
            let s = src.baseAddress! + row * width
            let d = base + row * lineSize
            if bytesPerSample == 1 {
                let d8 = d.assumingMemoryBound(to: UInt8.self)
                for x in 0..<width { d8[x] = UInt8(truncatingIfNeeded: s[x]) }
            } else {
                for x in 0..<width { d.storeBytes(of: s[x].littleEndian, toByteOffset: 2 * x, as: UInt16.self) }
            }
        }
    }
}
