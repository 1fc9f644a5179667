import Foundation
import KinecolorMedia
import KinecolorModel
@testable import KinecolorPipeline
import XCTest

extension NetworkSeamTests {
    /// `--class auto` is one rule: `colorize`, `render` of a plan, a previewed frame, the `auto` cell
    /// of `preview --grid` (from a film or a project) and the plan itself give a shot the same
    /// class, also when the class head's top probability is under the model's threshold.
    func testAutoClassMeansTheSameEverywhere() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = Self.autoNetwork()
        let (analysis, shots, project, options) = try plan(input, network: network, classChoice: "auto")
        XCTAssertEqual(shots.map(\.range), [0..<12, 12..<22, 22..<36])
        let expected = ["street", "general", "landscape"]
        let p = try XCTUnwrap(analysis.classProbabilities)
        XCTAssertEqual(p[1].indices.max { p[1][$0] < p[1][$1] }, 1, "shot 2's top class should be portrait, under the threshold")

        // colorize
        XCTAssertEqual(shots.map { network.classNames[$0.classIndex] }, expected)
        let colorized = try colorize(input, shots: shots, options: options, network: network, name: "auto.mkv")
        for name in Set(expected) {
            let fixed = ColorizeOptions(for: network, classChoice: name, seed: 3, smoothing: 2)
            let out = try colorize(input, shots: try fixed.shotSettings(for: analysis, network: network), options: fixed,
                                   network: network, name: "\(name).mkv")
            for k in shots.indices where expected[k] == name {
                for i in shots[k].range {
                    XCTAssertTrue(colorized[i].u == out[i].u, "frame \(i): auto is not \(name)")
                    XCTAssertTrue(colorized[i].v == out[i].v, "frame \(i): auto is not \(name)")
                }
            }
        }

        // plan, and render of the plan
        XCTAssertEqual(project.shots.map(\.class), expected)
        XCTAssertEqual(try project.shotSettings(network: network), shots)
        let rendered = try render(project, network: network, name: "project.mkv")
        XCTAssertTrue(rendered.map(\.u) == colorized.map(\.u), "render of the plan is not colorize")
        XCTAssertTrue(rendered.map(\.v) == colorized.map(\.v), "render of the plan is not colorize")

        // preview: one frame, and the grid's auto cell
        let middles = shots.map { ($0.start + $0.end - 1) / 2 }
        let windows = try FrameWindow.collect(middles, of: input, shots: shots, options: options)
        for (k, window) in windows.enumerated() {
            let still = try Stills.renderFrame(middles[k], of: input, shots: shots, network: network, options: options)
            XCTAssertTrue(still.u == colorized[middles[k]].u, "preview of shot \(k + 1)")
            XCTAssertTrue(still.v == colorized[middles[k]].v, "preview of shot \(k + 1)")

            // A project's grid measures the shot again, as the plan did.
            let remeasured = try XCTUnwrap(try project.classProbabilities(ofShot: k, network: network))
            XCTAssertEqual(remeasured, p[k], "shot \(k + 1)")
            for probabilities in [p[k], remeasured] {
                let rows = try ContactSheet.rows(["auto", expected[k]], classProbabilities: probabilities, network: network)
                XCTAssertEqual(rows.map(\.label), ["auto (\(expected[k]))", expected[k]], "shot \(k + 1)")
                XCTAssertEqual(rows[0].index, shots[k].classIndex, "shot \(k + 1)")
            }
            let other = expected[k] == "portrait" ? "street" : "portrait"
            let sheet = try ContactSheet.render(window: window, classes: ["auto", expected[k], other], seeds: [3],
                                                classProbabilities: p[k], network: network, options: options, title: "t")
            let cells = (0..<3).map { cell(sheet, row: $0, window: window) }
            XCTAssertTrue(cells[0] == cells[1], "grid of shot \(k + 1): the auto cell is not \(expected[k])")
            XCTAssertTrue(cells[0] != cells[2], "grid of shot \(k + 1): the cells do not tell classes apart")
        }
    }

    /// The thumbnail of a contact sheet's one-column row `row`, as interleaved RGB.
    func cell(_ sheet: (rgb: [UInt8], width: Int, height: Int), row: Int, window: FrameWindow) -> [UInt8] {
        let w = min(window.video.width, 360), h = window.video.height * w / window.video.width
        let pad = 8, label = LabelFont.height * 2 + 8, header = LabelFont.height * 2 + 2 * pad
        let top = header + row * (label + h + pad) + label
        var out: [UInt8] = []
        for y in top..<(top + h) {
            let start: Int = (y * sheet.width + pad) * 3
            out += sheet.rgb[start..<(start + w * 3)]
        }
        return out
    }
}

/// Which frames `--class auto` looks at: the analysis keeps thinning its samples as the film goes
/// on, and a project preview finds the same frames again from the frame count alone.
final class ClassSamplerTests: XCTestCase {
    func testTheStrideRuleIsTheOneTheAnalysisEndsWith() throws {
        let video = VideoStreamInfo(width: 16, height: 16, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        var sampler = ClassSampler(network: FakeNetwork(), video: video)
        for n in 1...3000 {
            sampler.offer(VideoFrame(width: 16, height: 16, y: [UInt16](repeating: 100, count: 256), pts: Int64(n - 1), duration: 1, index: n - 1))
            XCTAssertEqual(ClassSampler.finalStride(frameCount: n), sampler.stride, "after \(n) frames")
            XCTAssertEqual(sampler.samples.map(\.index), Array(stride(from: 0, to: n, by: sampler.stride)), "after \(n) frames")
        }
        XCTAssertEqual(sampler.stride, 24)
    }

    /// A film long enough that the sampling stride doubles, and shots of any length (one holds no
    /// sample, so its nearest one lies in the shot before): re-measuring from the frame count gives
    /// exactly what a pass over the whole film gives.
    func testReMeasuringAShotGivesWhatTheWholePassGave() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kinecolor-sampler-\(UUID().uuidString).mkv")
        defer { try? FileManager.default.removeItem(at: url) }
        let w = 32, h = 16, count = 1500
        let info = VideoStreamInfo(width: w, height: h, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for i in 0..<count {
            let y = (0..<(w * h)).map { UInt16(40 + (i * 7 + $0 % w) % 180) }
            try writer.write(VideoFrame(width: w, height: h, y: y, pts: Int64(i), duration: 1, index: i))
        }
        try writer.finish()
        let network = FakeNetwork(head: { m in [m, 1 - m, m * m, 0.5] })
        let shots = [0..<700, 700..<705, 705..<1499, 1499..<1500]
        XCTAssertEqual(ClassSampler.picks(Array(stride(from: 0, to: count, by: 12)), for: shots[1]), [696])

        let reader = try MediaReader(url: url)
        var whole = ClassSampler(network: network, video: reader.video)
        while let frame = try reader.nextFrame() { whole.offer(frame) }
        reader.close()
        XCTAssertEqual(whole.stride, 12)
        let expected = try whole.classify(shots)
        XCTAssertEqual(try ClassSampler.classify(shots, of: url, videoStream: nil, frameCount: count, network: network), expected)
        for k in shots.indices {
            XCTAssertEqual(try ClassSampler.classify([shots[k]], of: url, videoStream: nil, frameCount: count, network: network),
                           [expected[k]], "shot \(k + 1) alone")
        }
    }
}
