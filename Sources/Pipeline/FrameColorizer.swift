import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorModel
import KinecolorMotion
import KinecolorTemporal

/// The network's chroma for one frame at network resolution (CIELAB a/b of its output), with the
/// frame's own gray at that resolution: the guide for temporal smoothing and the L of the fusion.
public typealias NetworkChroma = ChromaFrame

/// Turns one film frame into its colorized version. The steps, and why:
///
/// 1. The frame's Y′ (exact samples) becomes gray in [0, 1] and is shrunk to the network size
///    (short side `size`, both sides multiples of 16, BigColor's 'powerof' rule). Area averaging
///    rather than BigColor's non-antialiased bilinear: film grain aliases badly otherwise.
/// 2. The network gives RGB; we keep its CIELAB a/b (what BigColor keeps), at network resolution,
///    through the model's chroma calibration if it has one, times the saturation gain. Temporal
///    smoothing happens here, on a/b, between steps 2 and 3.
/// 3. BigColor's fusion at network resolution: L = 100·gray with the network's a/b → RGB → Cb/Cr
///    in the video's own matrix. Only Cb/Cr are kept.
/// 4. Cb/Cr are upsampled (bilinear) to the frame's chroma planes and quantized; Y′ is the input's,
///    untouched. So the output's luma is the input's bit for bit, and only chroma is invented.
///
/// The network itself stays outside (step 2 takes it as an argument): a `FrameColorizer` is a
/// value the decoder, network and encoder threads share, while the network is used by one thread.
public struct FrameColorizer: Sendable {
    public let networkWidth: Int
    public let networkHeight: Int
    /// The Y′CbCr matrix the new Cb/Cr are computed in: the video's own (`ColorMatrix.shown`).
    public let matrix: ColorMatrix
    public let saturation: Float

    public init(video: VideoStreamInfo, size: Int = 256, saturation: Double = 1,
                matrix: ColorMatrix? = nil) throws {
        try SettingError.check(size: size, saturation: saturation)
        self.saturation = Float(saturation)
        let s = NetworkSize.input(height: video.height, width: video.width, shortSide: size)
        networkHeight = s.height
        networkWidth = s.width
        if video.width * video.height > 1920 * 1088 { EngineMemory.returnLargeBuffers() }
        self.matrix = matrix ?? .shown(video)
    }

    /// Step 1: the frame's gray at network size, [h, w].
    public func networkLuma(_ frame: VideoFrame) -> Tensor {
        let gray = Tensor(shape: [frame.height, frame.width], data: frame.lumaAsFloat())
        if frame.height == networkHeight && frame.width == networkWidth { return gray }
        return resizeArea(gray, height: networkHeight, width: networkWidth)
    }

    /// Step 2: the network's a/b for this gray, class code and z.
    public func chroma(luma: Tensor, network: ChromaNetwork, classCode: [Float], z: [Float],
                       motion: PairMotion? = nil) throws -> NetworkChroma {
        let rgb = try network.colorize(gray: luma, classCode: classCode, z: z)
        let lab = rgbToLab(rgb)
        let n = networkWidth * networkHeight
        var a = Array(lab.data[n..<(2 * n)]), b = Array(lab.data[(2 * n)..<(3 * n)])
        network.calibration?.apply(a: &a, b: &b, luma: luma.data)
        if saturation != 1 {
            for i in 0..<n {
                a[i] *= saturation
                b[i] *= saturation
            }
        }
        return NetworkChroma(width: networkWidth, height: networkHeight, luma: luma.data, a: a, b: b, motion: motion)
    }

    /// A reference's chroma at network size, as step 2 gives the network's: CIELAB a/b of its RGB
    /// (no saturation gain: it is the restorer's color), with its own Y′ as the luma (what the
    /// network colorizes to match it, and what is compared with the film's frame).
    func referenceChroma(_ image: ReferenceImage) -> NetworkChroma {
        let rgb = image.planes(width: networkWidth, height: networkHeight)
        let lab = rgbToLab(rgb)
        let n = networkWidth * networkHeight
        let (kr, kb) = matrix.lumaWeights
        let kg = 1 - kr - kb
        var luma = [Float](repeating: 0, count: n)
        for i in 0..<n { luma[i] = kr * rgb.data[i] + kg * rgb.data[n + i] + kb * rgb.data[2 * n + i] }
        return NetworkChroma(width: networkWidth, height: networkHeight, luma: luma,
                             a: Array(lab.data[n..<(2 * n)]), b: Array(lab.data[(2 * n)..<(3 * n)]))
    }

    /// RGB in [0, 1], [3, h, w] planes, of a network-size chroma with its luma as L*.
    static func rgb(_ chroma: NetworkChroma) -> [Float] {
        let n = chroma.width * chroma.height
        var lab = [Float](repeating: 0, count: 3 * n)
        for i in 0..<n {
            lab[i] = 100 * chroma.luma[i]
            lab[n + i] = chroma.a[i]
            lab[2 * n + i] = chroma.b[i]
        }
        return labToRGB(Tensor(shape: [3, chroma.height, chroma.width], data: lab)).data
    }

    /// Steps 3 and 4: the output frame, with the input's Y′ and new Cb/Cr.
    public func finish(_ frame: VideoFrame, with chroma: NetworkChroma) -> VideoFrame {
        let n = chroma.width * chroma.height
        let rgb = Self.rgb(chroma)
        let (kr, kb) = matrix.lumaWeights
        let kg = 1 - kr - kb
        var cbcr = [Float](repeating: 0, count: 2 * n)
        for i in 0..<n {
            let r = rgb[i], g = rgb[n + i], b = rgb[2 * n + i]
            let y = kr * r + kg * g + kb * b
            cbcr[i] = (b - y) / (2 * (1 - kb))
            cbcr[n + i] = (r - y) / (2 * (1 - kr))
        }
        // One plane at a time: at full size a float plane is 4 bytes a pixel (190 MB for a
        // 48-megapixel still), and only one is alive at once.
        func plane(_ c: Int) -> [UInt16] {
            let full = resizeBilinear(Tensor(shape: [1, chroma.height, chroma.width], data: Array(cbcr[(c * n)..<((c + 1) * n)])),
                                      height: frame.chromaHeight, width: frame.chromaWidth).data
            return quantizeChroma(full[...], bitDepth: frame.bitDepth, fullRange: frame.fullRange)
        }
        var out = frame
        out.u = plane(0)
        out.v = plane(1)
        return out
    }
}

/// Cb/Cr in [−0.5, 0.5] to integer samples: 128 ± 112 at 8 bits in limited range, 128 ± 127.5 in full.
func quantizeChroma(_ values: ArraySlice<Float>, bitDepth: Int, fullRange: Bool) -> [UInt16] {
    let scale = Float(1 << (bitDepth - 8))
    let mid = Float(1 << (bitDepth - 1))
    let span = fullRange ? Float((1 << bitDepth) - 1) : 224 * scale
    let lo: Float = fullRange ? 0 : 16 * scale
    let hi: Float = fullRange ? Float((1 << bitDepth) - 1) : 240 * scale
    return values.map { UInt16(min(max(($0 * span + mid).rounded(), lo), hi)) }
}
