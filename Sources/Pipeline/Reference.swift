import Foundation
import KinecolorEngine
import KinecolorFiles
import KinecolorMedia

/// A restorer's color for one frame of the film: a color image of that frame (painted over a
/// preview, or taken from any other source). Its chroma is imposed at that frame and carried
/// through the shot along the motion; the film's own luma always wins.
public struct Reference: Sendable, Equatable {
    /// The film frame (0-based) the image shows.
    public let frame: Int
    public let image: ReferenceImage

    public init(frame: Int, image: ReferenceImage) {
        self.frame = frame
        self.image = image
    }
}

/// A reference's picture, decoded once.
public struct ReferenceImage: Sendable, Equatable {
    /// The path as the user gave it (for messages).
    public let path: String
    public let width: Int
    public let height: Int
    /// Interleaved 8-bit RGB.
    let rgb: [UInt8]
    /// SHA-256 of the file's bytes: a segment's checksum includes it, so repainting a reference
    /// renders its shot again.
    public let sha256: String

    /// Far more than any still a restorer paints (a 16-bit 8K TIFF is about 200 MB).
    static let maxFileBytes = 512 << 20
    /// Share of pixels that must differ from gray by more than `grayTolerance` (of 255) for the
    /// image to count as colored: a gray image has nothing to take.
    static let coloredShare = 0.005
    static let grayTolerance = 6
    /// Aspect ratios of a reference and the frame must agree this closely (relative).
    public static let aspectTolerance = 0.01

    init(path: String, width: Int, height: Int, rgb: [UInt8], sha256: String) {
        self.path = path
        self.width = width
        self.height = height
        self.rgb = rgb
        self.sha256 = sha256
    }

    /// Reads and decodes `url` (any still format FFmpeg reads), refusing what cannot be a reference.
    /// `role` names the image in messages ("reference", "palette").
    public static func load(_ url: URL, named path: String? = nil, role: String = "reference") throws -> ReferenceImage {
        let name = path ?? url.path
        let data: Data
        do { data = try FileHead.read(url, upTo: maxFileBytes + 1) } catch {
            throw PipelineError("\(role) \(name): cannot read (\(AtomicFile.reason(error)))")
        }
        guard data.count <= maxFileBytes else { throw PipelineError("\(role) \(name): larger than \(maxFileBytes >> 20) MiB; not a still image") }
        guard !data.isEmpty else { throw PipelineError("\(role) \(name): the file is empty") }
        let frame: VideoFrame, matrix: ColorMatrix
        do {
            let reader = try MediaReader(url: url)
            defer { reader.close() }
            guard let first = try reader.nextFrame() else { throw PipelineError("no picture") }
            if try reader.nextFrame() != nil { throw PipelineError("it has several frames (a film, not a still)") }
            frame = first
            matrix = .shown(reader.video)
        } catch {
            throw PipelineError("\(role) \(name): not an image FFmpeg can decode (\(error))")
        }
        let rgb = try StillImage.rgb(frame, matrix: matrix)
        var colored = 0
        for p in stride(from: 0, to: rgb.count, by: 3) {
            let r = Int(rgb[p]), g = Int(rgb[p + 1]), b = Int(rgb[p + 2])
            if max(abs(r - g), abs(g - b), abs(r - b)) > grayTolerance { colored += 1 }
        }
        guard Double(colored) >= coloredShare * Double(frame.width * frame.height) else {
            throw PipelineError("\(role) \(name): the image is gray; it has no color to take")
        }
        return ReferenceImage(path: name, width: frame.width, height: frame.height, rgb: rgb, sha256: SHA256.hex(of: data))
    }

    /// The picture at most `maxWidth` wide, to show what was painted (the review page).
    public func thumbnail(maxWidth: Int) -> (rgb: [UInt8], width: Int, height: Int) {
        ContactSheet.thumbnail(rgb: rgb, width: width, height: height, maxWidth: maxWidth)
    }

    /// Refuses an image whose aspect ratio is not the frame's (`aspectTolerance`); any size with
    /// the right shape is resized to the network's.
    public func check(against video: VideoStreamInfo) throws {
        let mine = Double(width) / Double(height), frame = Double(video.width) / Double(video.height)
        guard abs(mine / frame - 1) <= Self.aspectTolerance else {
            throw PipelineError(String(format: "reference %@ is %d×%d (aspect %.3f), but the film's frames are %d×%d (%.3f); the aspect ratios must agree within 1%%",
                                       path, width, height, mine, video.width, video.height, frame))
        }
    }

    /// RGB in [0, 1], [3, h, w], shrunk to `width`×`height` by area averaging (as the film's
    /// luma is for the network).
    func planes(width w: Int, height h: Int) -> Tensor {
        let n = width * height
        var data = [Float](repeating: 0, count: 3 * n)
        for p in 0..<n {
            data[p] = Float(rgb[3 * p]) / 255
            data[n + p] = Float(rgb[3 * p + 1]) / 255
            data[2 * n + p] = Float(rgb[3 * p + 2]) / 255
        }
        let full = Tensor(shape: [3, height, width], data: data)
        return width == w && height == h ? full : resizeArea(full, height: h, width: w)
    }
}

extension Array where Element == Reference {
    /// Refuses two references for one frame, naming it (1-based).
    func checkDistinctFrames() throws {
        var seen = Set<Int>()
        for r in self where !seen.insert(r.frame).inserted {
            throw PipelineError("two references for frame \(r.frame + 1); give one image per frame")
        }
    }
}

/// A shot's network colors brought toward its references' (the fill where no reference reaches):
/// per channel, the network's a/b are shifted so that their mean over the reference frames
/// matches the references', a' = a + mean_ref - mean_net. Measured on the network's own output for
/// each reference's luma, so the map is known before any frame of the shot is decoded, and every
/// frame of the shot gets the same one. Matching the deviation too (a' = mean_ref + (a - mean_net)
/// * sd_ref / sd_net) amplified the network's faint guesses into strong wrong hues on new content
/// (Big Buck Bunny coming out of his burrow turned orange and his burrow blue with the ratio
/// clamped to 1/4…4: CIEDE2000 4.92 and a warping error 3.3× the original's, against 4.11 and
/// 0.9× with the mean alone; Docs/quality.md), so references shift the mean only (`scaleLimit`
/// 1); a palette (`transfer`) may scale by up to 1.5.
struct ChromaMatch: Sendable, Equatable {
    var scale: (a: Float, b: Float)
    var offset: (a: Float, b: Float)

    static func == (l: ChromaMatch, r: ChromaMatch) -> Bool {
        l.scale == r.scale && l.offset == r.offset
    }

    /// `pairs`: for each reference, the network's chroma for its luma and the reference's chroma.
    /// The deviation ratio is clamped to 1/scaleLimit…scaleLimit (1: the mean alone).
    init(pairs: [(network: NetworkChroma, reference: NetworkChroma)], scaleLimit: Double = 1) {
        func moments(_ planes: [[Float]]) -> (mean: Double, sd: Double) {
            var sum = 0.0, squares = 0.0, count = 0.0
            for plane in planes {
                for v in plane { sum += Double(v); squares += Double(v) * Double(v) }
                count += Double(plane.count)
            }
            let mean = sum / max(count, 1)
            return (mean, (max(squares / max(count, 1) - mean * mean, 0)).squareRoot())
        }
        func fit(_ net: (mean: Double, sd: Double), _ ref: (mean: Double, sd: Double)) -> (Float, Float) {
            let s = net.sd > 1e-3 ? min(scaleLimit, max(1 / scaleLimit, ref.sd / net.sd)) : 1
            return (Float(s), Float(ref.mean - net.mean * s))
        }
        let (sa, oa) = fit(moments(pairs.map(\.network.a)), moments(pairs.map(\.reference.a)))
        let (sb, ob) = fit(moments(pairs.map(\.network.b)), moments(pairs.map(\.reference.b)))
        scale = (sa, sb)
        offset = (oa, ob)
    }

    /// `chroma` shifted so that its a/b have the mean and deviation of `palette`'s: a global color
    /// transfer (Reinhard et al. 2001, on CIELAB a/b only; the deviation ratio within 1/1.5…1.5),
    /// fitted on each frame the network colors.
    static func transfer(_ chroma: NetworkChroma, toward palette: NetworkChroma) -> NetworkChroma {
        ChromaMatch(pairs: [(chroma, palette)], scaleLimit: 1.5).apply(chroma)
    }

    func apply(_ chroma: NetworkChroma) -> NetworkChroma {
        var out = chroma
        for i in out.a.indices {
            out.a[i] = out.a[i] * scale.a + offset.a
            out.b[i] = out.b[i] * scale.b + offset.b
        }
        return out
    }
}

extension Reference {
    /// Below this, a reference's luma does not resemble its frame's (the wrong frame was painted,
    /// or the image is of another moment): `similarities` measures it.
    public static let similarityLevel: Float = 0.9

    /// How much each reference's luma resembles its frame's: the correlation of the two at network
    /// size (1: the same picture; a preview painted over keeps its luma and scores ~1). Decodes the
    /// film up to the last reference's frame.
    /// `progress` is only asked whether to stop.
    public static func similarities(_ references: [Reference], in url: URL, videoStream: Int?, size: Int,
                                    progress: (any ProgressObserver)? = nil) throws -> [Float] {
        guard let last = references.map(\.frame).max() else { return [] }
        let reader = try MediaReader(url: url, videoStream: videoStream)
        defer { reader.close() }
        let colorizer = try FrameColorizer(video: reader.video, size: size)
        var out = [Float](repeating: 0, count: references.count)
        var found = Set<Int>()
        while let frame = try reader.nextFrame(), frame.index <= last {
            try stopIfCancelled(progress)
            for (i, r) in references.enumerated() where r.frame == frame.index {
                out[i] = correlation(colorizer.networkLuma(frame).data, colorizer.referenceChroma(r.image).luma)
                found.insert(i)
            }
        }
        if let missing = references.indices.first(where: { !found.contains($0) }) {
            throw PipelineError("\(url.lastPathComponent): frame \(references[missing].frame + 1) could not be decoded")
        }
        return out
    }

    /// Pearson correlation; 1 for two flat pictures of the same level, 0 when only one is flat.
    static func correlation(_ x: [Float], _ y: [Float]) -> Float {
        let n = Double(x.count)
        var sx = 0.0, sy = 0.0
        for i in x.indices { sx += Double(x[i]); sy += Double(y[i]) }
        let mx = sx / n, my = sy / n
        var cxy = 0.0, cxx = 0.0, cyy = 0.0
        for i in x.indices {
            let dx = Double(x[i]) - mx, dy = Double(y[i]) - my
            cxy += dx * dy; cxx += dx * dx; cyy += dy * dy
        }
        if cxx < 1e-9 && cyy < 1e-9 { return abs(mx - my) < 0.02 ? 1 : 0 }
        guard cxx >= 1e-9 && cyy >= 1e-9 else { return 0 }
        return Float(cxy / (cxx * cyy).squareRoot())
    }
}
