import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorModel
import KinecolorMotion
@testable import KinecolorPipeline
import XCTest

/// A network whose color follows the gray of every pixel (hue from the gray, shifted by class and
/// z), so carried, filled and smoothed chroma differ from frame to frame and from the network's own.
final class GrayHueNetwork: ChromaNetwork {
    let name = "gray-hue"
    let checksum: String? = "gray-hue-1"
    let classNames = ["general", "portrait"]
    let dimZ = 2
    let hasClassEstimate = false
    var inference: InferenceDefaults { InferenceDefaults(size: 64) }
    func classIndex(_ text: String) throws -> Int { Int(text) ?? 0 }
    func classCode(_ index: Int) throws -> [Float] { [Float(index)] }
    func classProbabilities(gray: Tensor) throws -> [Float]? { nil }
    func colorize(gray: Tensor, classCode: [Float], z: [Float]) throws -> Tensor {
        let n = gray.data.count
        var rgb = [Float](repeating: 0, count: 3 * n)
        for (i, g) in gray.data.enumerated() {
            let c = FakeNetwork.rgb(hue: Double(g * 0.8 + 0.3 * classCode[0] + 0.05 * z[0]).truncatingRemainder(dividingBy: 1),
                                    saturation: 0.6, value: 0.7)
            rgb[i] = c[0]
            rgb[n + i] = c[1]
            rgb[2 * n + i] = c[2]
        }
        return Tensor(shape: [3] + gray.shape.suffix(2), data: rgb)
    }
}

extension NetworkSeamTests {
    /// `auto` keyframes start every shot, stay inside it, are at most `longestGap` apart, and the
    /// same film gives the same keyframes every time.
    func testAutoKeyframesStartEveryShotAndAreDeterministic() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let first = try FilmAnalysis.analyze(input, keyframesAtSize: 64)
        let second = try FilmAnalysis.analyze(input, keyframesAtSize: 64)
        let keys = try XCTUnwrap(first.keyframes)
        XCTAssertEqual(keys, second.keyframes)
        XCTAssertEqual(keys.count, first.shots.count)
        for (shot, list) in zip(first.shots, keys) {
            XCTAssertEqual(list.first, shot.start, "a shot's first frame is a keyframe")
            XCTAssertTrue(list.allSatisfy { shot.range.contains($0) }, "\(list) inside \(shot)")
            XCTAssertEqual(list, list.sorted())
            for (a, b) in zip(list, list.dropFirst()) { XCTAssertLessThanOrEqual(b - a, KeyframePlanner.longestGap) }
        }
        // Without `keyframesAtSize` nothing is placed (and no flow is computed).
        XCTAssertNil(try FilmAnalysis.analyze(input).keyframes)
    }

    /// With keyframes every 5 frames, a film of constant-color shots renders exactly as with every
    /// frame a keyframe: nothing is carried from one shot into the next.
    func testNothingIsCarriedAcrossACut() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = FakeNetwork()
        var options = ColorizeOptions(for: network, classChoice: "street", seed: 3, smoothing: 2)
        let analysis = try FilmAnalysis.analyze(input)
        var shots = try options.shotSettings(for: analysis, network: network)
        for k in shots.indices { shots[k].classIndex = k % 4 }
        let every = try colorize(input, shots: shots, options: options, network: network, name: "all.mkv")
        options.keyframes = .every(5)
        let keyed = shots.map { s in var s = s; s.keyframes = KeyframePolicy.every(5).fixed(s.range); return s }
        let carried = try colorize(input, shots: keyed, options: options, network: network, name: "every5.mkv")
        XCTAssertEqual(every.count, carried.count)
        for (a, b) in zip(every, carried) {
            XCTAssertTrue(a.u == b.u && a.v == b.v, "frame \(a.index): its own shot's color only")
        }
    }

    /// `preview` of any frame equals the rendered frame bit for bit with keyframes: at keyframes,
    /// between them, next to a cut, at a shot's end.
    func testPreviewEqualsRenderWithKeyframes() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = GrayHueNetwork()
        let options = ColorizeOptions(for: network, classChoice: "1", seed: 3, smoothing: 2, keyframes: .every(4))
        let analysis = try FilmAnalysis.analyze(input)
        let shots = try options.shotSettings(for: analysis, network: network)
        XCTAssertEqual(shots[0].keyframes, [0, 4, 8])
        let rendered = try colorize(input, shots: shots, options: options, network: network, name: "keyed.mkv")
        let all = try colorize(input, shots: shots.map { var s = $0; s.keyframes = nil; return s },
                               options: options, network: network, name: "all.mkv")
        XCTAssertTrue(zip(rendered, all).contains { $0.u != $1.u }, "keyframes change the result (the test is not vacuous)")
        for index in [0, 2, 4, 6, 11, 12, 13, 17, 21, 22, 30, 35] {
            let still = try Stills.renderFrame(index, of: input, shots: shots, network: network, options: options)
            XCTAssertTrue(still.u == rendered[index].u && still.v == rendered[index].v, "frame \(index)")
        }
    }

    /// A one-frame shot, and a shot of identical black frames, render with keyframes and agree
    /// with their previews (flat frames give the flow nothing to hold on to: it must not break).
    func testOneFrameShotAndIdenticalBlackFrames() throws {
        let input = file("black.mkv")
        let w = 64, h = 48
        let info = VideoStreamInfo(width: w, height: h, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: input, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for i in 0..<14 {
            let level: UInt16 = i == 0 ? 150 : 16
            try writer.write(VideoFrame(width: w, height: h, y: [UInt16](repeating: level, count: w * h), pts: Int64(i), duration: 1, index: i))
        }
        try writer.finish()
        let network = GrayHueNetwork()
        let options = ColorizeOptions(for: network, classChoice: "0", seed: 1, smoothing: 2, keyframes: .every(4))
        let shots = [ShotSettings(index: 0, start: 0, end: 1, classIndex: 0, seed: 1, zStd: 0.8, keyframes: [0]),
                     ShotSettings(index: 1, start: 1, end: 14, classIndex: 0, seed: 1, zStd: 0.8, keyframes: [1, 5, 9, 13])]
        let rendered = try colorize(input, shots: shots, options: options, network: network, name: "black-color.mkv")
        XCTAssertEqual(rendered.count, 14)
        for index in [0, 1, 3, 13] {
            let still = try Stills.renderFrame(index, of: input, shots: shots, network: network, options: options)
            XCTAssertTrue(still.u == rendered[index].u && still.v == rendered[index].v, "frame \(index)")
        }
        // Carried over identical frames, the color is the keyframe's.
        XCTAssertEqual(rendered[3].u, rendered[1].u)
    }
}
