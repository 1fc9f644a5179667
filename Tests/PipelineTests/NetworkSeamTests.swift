import Foundation
import KinecolorMedia
import KinecolorModel
@testable import KinecolorPipeline
import XCTest

/// Promises about shots, classes and skips, checked on real encoded and decoded media with
/// `FakeNetwork`, whose colors say which class made them.
final class NetworkSeamTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-seam-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    /// Shot 1 is dark and surely "street", shot 2 middling and only probably "portrait" (0.5, under
    /// the 0.6 threshold of `autoNetwork`), shot 3 bright and surely "landscape".
    static let threeShots: [(length: Int, level: Int)] = [(12, 60), (10, 128), (14, 196)]

    /// The buckets decide the class; the small slope makes every frame's estimate its own, so
    /// which frames were averaged shows.
    static func head(_ mean: Float) -> [Float] {
        let d = (mean - 0.5) * 0.02
        if mean < 0.35 { return [0.05 + d, 0.05 - d, 0.85, 0.05] }
        if mean < 0.65 { return [0.1 + d, 0.5, 0.3 - d, 0.1] }
        return [0.05 + d, 0.05, 0.1 - d, 0.8]
    }

    static func autoNetwork() -> FakeNetwork {
        FakeNetwork(inference: InferenceDefaults(size: 64, autoClassMinProbability: 0.6, autoClassFallback: "general"), head: head)
    }

    /// A lossless clip of hard cuts: shot k is a moving pattern of its own around luma `level`
    /// (brightening a little from frame to frame), with colored chroma (so a skipped shot has colors to keep).
    func makeFilm(_ url: URL, shots: [(length: Int, level: Int)]) throws {
        let w = 96, h = 64
        let info = VideoStreamInfo(width: w, height: h, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        var index = 0
        for (s, shot) in shots.enumerated() {
            for t in 0..<shot.length {
                var y = [UInt16](repeating: 0, count: w * h)
                for r in 0..<h {
                    for c in 0..<w {
                        let on: Bool
                        switch s % 3 {
                        case 0: on = (c + t) / 6 % 2 == 0                     // vertical stripes
                        case 1: on = (r / 8 + c / 8 + t / 6) % 2 == 0          // a checkerboard
                        default: on = (r + t) / 5 % 2 == 0                     // horizontal stripes
                        }
                        y[r * w + c] = UInt16(shot.level + t / 2 + (on ? 25 : -25))
                    }
                }
                var frame = VideoFrame(width: w, height: h, y: y, pts: Int64(index), duration: 1, index: index)
                frame.u = frame.u.indices.map { UInt16(90 + ($0 + 7 * s + t) % 40) }
                frame.v = frame.v.indices.map { UInt16(150 + ($0 / 48 + t) % 30) }
                try writer.write(frame)
                index += 1
            }
        }
        try writer.finish()
    }

    func frames(_ url: URL) throws -> [VideoFrame] {
        let reader = try MediaReader(url: url)
        defer { reader.close() }
        var out: [VideoFrame] = []
        while let f = try reader.nextFrame() { out.append(f) }
        return out
    }

    /// What `kinecolor plan` does: analysis, shot settings, project.
    func plan(_ input: URL, network: FakeNetwork, classChoice: String?) throws
        -> (analysis: FilmAnalysis, shots: [ShotSettings], project: Project, options: ColorizeOptions) {
        let options = ColorizeOptions(for: network, classChoice: classChoice, seed: 3, smoothing: 2)
        let analysis = try FilmAnalysis.analyze(input, classEstimator: options.wantsAutoClass ? network : nil)
        let shots = try options.shotSettings(for: analysis, network: network)
        let project = try Project(input: input, videoStream: nil, analysis: analysis, shots: shots, options: options,
                                  modelPath: nil, network: network)
        return (analysis, shots, project, options)
    }

    /// What `kinecolor colorize` does, losslessly.
    func colorize(_ input: URL, shots: [ShotSettings], options: ColorizeOptions, network: ChromaNetwork, name: String) throws -> [VideoFrame] {
        try FilmRenderer(network: network, shots: shots, options: options)
            .render(input: input, output: file(name), encode: EncodeOptions(codec: .ffv1), overwrite: false)
        return try frames(file(name))
    }

    /// What `kinecolor render` does, losslessly, in a work folder of its own.
    func render(_ project: Project, network: ChromaNetwork, name: String) throws -> [VideoFrame] {
        let job = try SegmentedRender(project: project, network: network, workDirectory: file(name + ".work"))
        try job.renderSegments(progress: nil)
        try job.assemble(output: file(name), encode: EncodeOptions(codec: .ffv1), overwrite: false, progress: nil)
        return try frames(file(name))
    }

    func testASkippedShotKeepsItsInputChroma() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = FakeNetwork()
        var project = try plan(input, network: network, classChoice: "street").project
        XCTAssertEqual(project.shots.map(\.startFrame), [1, 13, 23])
        project.shots[1].skip = true
        let source = try frames(input), out = try render(project, network: network, name: "skip.mkv")
        XCTAssertEqual(out.count, source.count)
        for (a, b) in zip(source, out) {
            XCTAssertTrue(a.y == b.y, "luma of frame \(a.index)")
            if (12..<22).contains(a.index) {
                XCTAssertTrue(a.u == b.u, "Cb of skipped frame \(a.index)")
                XCTAssertTrue(a.v == b.v, "Cr of skipped frame \(a.index)")
            } else {
                XCTAssertTrue(a.u != b.u, "frame \(a.index) should be colorized")
            }
        }
        // A preview of a skipped frame is the input frame too.
        let still = try Stills.renderFrame(15, of: input, shots: try project.shotSettings(network: network), network: network,
                                           options: project.options)
        XCTAssertTrue(still.u == source[15].u, "Cb of a previewed skipped frame")
        XCTAssertTrue(still.v == source[15].v, "Cr of a previewed skipped frame")
    }

    func testAClassEditChangesExactlyThatShot() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = FakeNetwork()
        let (_, shots, project, _) = try plan(input, network: network, classChoice: "street")
        XCTAssertEqual(shots.map(\.range), [0..<12, 12..<22, 22..<36])
        var edited = project
        edited.shots[1].class = "landscape"
        let before = try render(project, network: network, name: "before.mkv")
        let after = try render(edited, network: network, name: "after.mkv")
        XCTAssertEqual(before.count, 36)
        XCTAssertEqual(after.count, 36)
        for (a, b) in zip(before, after) {
            XCTAssertTrue(a.y == b.y, "luma of frame \(a.index)")
            if shots[1].range.contains(a.index) {
                XCTAssertTrue(a.u != b.u || a.v != b.v, "frame \(a.index) of the edited shot did not change")
            } else {
                XCTAssertTrue(a.u == b.u, "Cb of frame \(a.index) outside the edited shot")
                XCTAssertTrue(a.v == b.v, "Cr of frame \(a.index) outside the edited shot")
            }
        }
    }
}
