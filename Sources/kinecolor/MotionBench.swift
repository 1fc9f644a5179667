import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorMotion
import KinecolorPipeline

/// One synthetic motion of a real frame, for `motion bench`: which point of the real frame each
/// pixel of the two frames shows, and for each pixel of the first frame its true motion and
/// whether it is still seen in the second. Both frames are drawn from the same real frame, so the
/// ground truth is exact.
struct WarpCase {
    let name: String
    /// Where pixel (x, y) of the first frame reads the real frame.
    let first: (Double, Double) -> (Double, Double)
    /// Where pixel (x, y) of the second frame reads the real frame.
    let second: (Double, Double) -> (Double, Double)
    /// Pixel (x, y) of the first frame is at (x + dx, y + dy) in the second, and is seen there.
    let truth: (Double, Double) -> (dx: Double, dy: Double, seen: Bool)

    /// The four motions on a `width`×`height` picture: a translation by a non-integer step, a 5%
    /// zoom and a 3° rotation about the centre, and a square a third of the short side, showing
    /// the frame turned half round, moving over the still frame.
    static func all(width: Int, height: Int) -> [WarpCase] {
        let right = Double(width - 1), bottom = Double(height - 1)
        let cx = right / 2, cy = bottom / 2
        let onPicture = { (x: Double, y: Double) in x >= 0 && y >= 0 && x <= right && y <= bottom }
        func global(_ name: String, to: @escaping (Double, Double) -> (Double, Double),
                    from: @escaping (Double, Double) -> (Double, Double)) -> WarpCase {
            WarpCase(name: name, first: { ($0, $1) }, second: from, truth: { x, y in
                let (u, v) = to(x, y)
                return (u - x, v - y, onPicture(u, v))
            })
        }
        let (tx, ty) = (2.6, -1.4), zoom = 1.05
        let angle = 3 * Double.pi / 180, c = cos(angle), s = sin(angle)
        let side = Double(min(width, height) / 3), left = ((right + 1) - side) / 2, top = ((bottom + 1) - side) / 2
        let (px, py) = (5.5, 3.25)
        let inPatch = { (x: Double, y: Double) in x >= left && x < left + side && y >= top && y < top + side }
        return [
            global("translation 2.6,-1.4", to: { ($0 + tx, $1 + ty) }, from: { ($0 - tx, $1 - ty) }),
            global("zoom 1.05", to: { (cx + zoom * ($0 - cx), cy + zoom * ($1 - cy)) },
                   from: { (cx + ($0 - cx) / zoom, cy + ($1 - cy) / zoom) }),
            global("rotation 3°", to: { x, y in (cx + c * (x - cx) - s * (y - cy), cy + s * (x - cx) + c * (y - cy)) },
                   from: { x, y in (cx + c * (x - cx) + s * (y - cy), cy - s * (x - cx) + c * (y - cy)) }),
            WarpCase(name: "patch 5.5,3.25", first: { x, y in inPatch(x, y) ? (right - x, bottom - y) : (x, y) },
                     second: { x, y in inPatch(x - px, y - py) ? (right - (x - px), bottom - (y - py)) : (x, y) },
                     truth: { x, y in
                         inPatch(x, y) ? (px, py, onPicture(x + px, y + py)) : (0, 0, !inPatch(x - px, y - py))
                     }),
        ]
    }

    /// `picture` as pixel (x, y) of a frame reading it at `source(x, y)` (bilinear, edges
    /// repeated), through the Motion module's own sampler.
    static func render(_ picture: LumaPlane, _ source: (Double, Double) -> (Double, Double)) -> LumaPlane {
        let w = picture.width, h = picture.height
        var dx = [Float](repeating: 0, count: w * h), dy = dx
        for y in 0..<h {
            for x in 0..<w {
                let (sx, sy) = source(Double(x), Double(y))
                dx[y * w + x] = Float(sx - Double(x))
                dy[y * w + x] = Float(sy - Double(y))
            }
        }
        let reading = Correspondence.identity(width: w, height: h)
            .reached(from: FlowField(width: w, height: h, dx: dx, dy: dy), confidence: [Float](repeating: 1, count: w * h))
        return LumaPlane(width: w, height: h, values: reading.warp(picture.values))
    }

    /// `gain` · the picture plus seeded Gaussian grain of deviation `grain`.
    static func degraded(_ picture: LumaPlane, gain: Float, grain: Double, seed: UInt64) -> LumaPlane {
        var random = PortableRandom(seed: seed)
        let noise = random.normals(picture.values.count, std: grain)
        return LumaPlane(width: picture.width, height: picture.height,
                         values: zip(picture.values, noise).map { gain * $0 + $1 })
    }
}

/// What one case and preset scored over the frames: endpoint errors per frame, and how the
/// forward confidence sorted the pixels seen in the second frame from those that are not.
struct FlowScore {
    var errors: [Double] = []
    var hidden = 0, marked = 0, seen = 0, kept = 0

    /// Adds one frame pair: `pair` against the true forward motion.
    mutating func add(_ pair: PairMotion, truth: [(dx: Double, dy: Double, seen: Bool)]) {
        var sum = 0.0, count = 0
        for (p, t) in truth.enumerated() {
            let confident = pair.forwardConfidence[p] > 0.5
            if t.seen {
                sum += hypot(Double(pair.forward.dx[p]) - t.dx, Double(pair.forward.dy[p]) - t.dy)
                count += 1
                seen += 1
                if confident { kept += 1 }
            } else {
                hidden += 1
                if pair.forwardConfidence[p] < 0.5 { marked += 1 }
            }
        }
        if count > 0 { errors.append(sum / Double(count)) }
    }
}

enum MotionBenchFrames {
    /// The samples' color clips (not their `_gray` twins): in `$KINECOLOR_SHARED/samples`, else in
    /// `shared/samples` beside the repository this command was built in or is run from.
    static func sampleClips() -> [String] {
        var roots: [URL] = []
        if let shared = ProcessInfo.processInfo.environment["KINECOLOR_SHARED"], !shared.isEmpty {
            roots.append(URL(fileURLWithPath: shared))
        }
        let starts = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                      Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent()]
        for case let start? in starts {
            var folder = start.standardizedFileURL
            while folder.path != "/" {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                    roots.append(folder.deletingLastPathComponent().appendingPathComponent("shared"))
                    break
                }
                folder = folder.deletingLastPathComponent()
            }
        }
        for root in roots {
            let samples = root.appendingPathComponent("samples")
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: samples.path) else { continue }
            let clips = names.filter { name in
                let url = URL(fileURLWithPath: name)
                return ["mp4", "avi", "mkv", "mov", "webm"].contains(url.pathExtension.lowercased())
                    && !url.deletingPathExtension().lastPathComponent.hasSuffix("_gray")
            }
            if !clips.isEmpty { return clips.sorted().map { samples.appendingPathComponent($0).path } }
        }
        return []
    }

    /// Up to `count` frames of `path`, `spacing` frames apart, as luma at the network size for
    /// short side `size`. Flat frames (a fade from black) are passed over: they have no motion to
    /// find.
    static func frames(of path: String, size: Int, count: Int, spacing: Int) throws -> [LumaPlane] {
        try Input.checkReadable(path)
        let reader = try MediaReader(url: URL(fileURLWithPath: path))
        defer { reader.close() }
        let colorizer = try FrameColorizer(video: reader.video, size: size)
        var planes: [LumaPlane] = [], index = 0
        while planes.count < count, let frame = try reader.nextFrame() {
            defer { index += 1 }
            guard index % spacing == 0 else { continue }
            let plane = LumaPlane(width: colorizer.networkWidth, height: colorizer.networkHeight,
                                  values: colorizer.networkLuma(frame).data)
            if deviation(plane.values) >= 0.02 { planes.append(plane) }
        }
        guard index > 0 else { throw CLIError("\(path): no video frames") }
        guard !planes.isEmpty else { throw CLIError("\(path): every frame read (\(index)) is flat; no motion to measure") }
        return planes
    }

    static func deviation(_ values: [Float]) -> Double {
        let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
        return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)).squareRoot()
    }
}

/// Wall time of one call of `body`, in milliseconds.
func milliseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6
}
