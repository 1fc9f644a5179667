import Foundation
import KinecolorEngine
import KinecolorMedia
import KinecolorModel
import KinecolorMotion
@testable import KinecolorPipeline
import XCTest

/// References (a restorer's color for one frame) and the film-wide z, on real FFV1 media.
extension NetworkSeamTests {
    /// Frame `index` of `film` as an RGB picture: its gray with `tint` added (R, G, B, of 255).
    func paint(_ film: URL, frame index: Int, tint: (Int, Int, Int), to url: URL) throws -> ReferenceImage {
        let frame = try frames(film)[index]
        var rgb = [UInt8](repeating: 0, count: frame.width * frame.height * 3)
        for p in 0..<(frame.width * frame.height) {
            let gray = (Int(frame.y[p]) - 16) * 255 / 219
            rgb[3 * p] = UInt8(clamping: gray + tint.0)
            rgb[3 * p + 1] = UInt8(clamping: gray + tint.1)
            rgb[3 * p + 2] = UInt8(clamping: gray + tint.2)
        }
        try StillImage.writePNG(rgb: rgb, width: frame.width, height: frame.height, to: url, overwrite: true)
        return try ReferenceImage.load(url)
    }

    /// A film whose shots show the given contents: the same number, the same frames.
    func makeFilm(_ url: URL, contents: [Int], length: Int) throws {
        let w = 96, h = 64
        let info = VideoStreamInfo(width: w, height: h, timeBase: Rational(1, 25), frameRate: Rational(25, 1))
        let writer = try MediaWriter(url: url, copyingStreamsFrom: nil, video: info, options: EncodeOptions(codec: .ffv1))
        for (s, content) in contents.enumerated() {
            for t in 0..<length {
                let y = (0..<(w * h)).map { p -> UInt16 in
                    let r = p / w, c = p % w
                    let on = content == 0 ? (c + t) / 6 % 2 == 0 : (r / 8 + c / 8 + t / 4) % 2 == 0
                    return UInt16((content == 0 ? 70 : 170) + (on ? 30 : -30))
                }
                try writer.write(VideoFrame(width: w, height: h, y: y, pts: Int64(s * length + t), duration: 1, index: s * length + t))
            }
        }
        try writer.finish()
    }

    /// One z for the film: the same content with the same class renders the same in every shot.
    func testIdenticalShotsWithTheSameClassRenderIdentically() throws {
        let input = file("abab.mkv")
        try makeFilm(input, contents: [0, 1, 0], length: 10)
        let network = GrayHueNetwork()
        let options = ColorizeOptions(for: network, classChoice: "1", seed: 5, smoothing: 2, keyframes: .every(4))
        let shots = (0..<3).map { k in
            ShotSettings(index: k, start: 10 * k, end: 10 * k + 10, classIndex: 1, seed: 5, zStd: 0.8,
                         keyframes: KeyframePolicy.every(4).fixed(10 * k..<(10 * k + 10)))
        }
        let out = try colorize(input, shots: shots, options: options, network: network, name: "out.mkv")
        for t in 0..<10 {
            XCTAssertTrue(out[t].u == out[20 + t].u && out[t].v == out[20 + t].v, "frame \(t) and \(20 + t)")
        }
        // A shot with a seed of its own gets its own colors.
        var own = shots
        own[2].seed = 6
        let other = try colorize(input, shots: own, options: options, network: network, name: "own.mkv")
        XCTAssertNotEqual(other[20].u, out[20].u)
    }

    /// Splitting a shot changes no other shot's pixels (z no longer depends on a shot's position).
    func testSplittingAShotChangesNoOtherShot() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = GrayHueNetwork()
        let options = ColorizeOptions(for: network, classChoice: "1", seed: 3, smoothing: 2)
        let shots = try options.shotSettings(for: try FilmAnalysis.analyze(input), network: network)
        XCTAssertEqual(shots.map(\.range), [0..<12, 12..<22, 22..<36])
        let whole = try colorize(input, shots: shots, options: options, network: network, name: "whole.mkv")
        var split = shots
        split[1].end = 17
        split.insert(ShotSettings(index: 2, start: 17, end: 22, classIndex: shots[1].classIndex, seed: 3, zStd: shots[1].zStd), at: 2)
        split[3].index = 3
        let parts = try colorize(input, shots: split, options: options, network: network, name: "split.mkv")
        for t in Array(0..<12) + Array(22..<36) {
            XCTAssertTrue(whole[t].u == parts[t].u && whole[t].v == parts[t].v, "frame \(t)")
        }
        XCTAssertTrue((12..<22).contains { whole[$0].u != parts[$0].u }, "the split shot itself changes (not vacuous)")
    }

    /// A reference colors its own shot (every frame near the painted color, moving pattern and
    /// all) and never the next: the other shots are bit for bit as without it. `preview` of any
    /// frame equals the rendered one.
    func testAReferenceColorsItsShotAndNothingElse() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = GrayHueNetwork()
        var options = ColorizeOptions(for: network, classChoice: "1", seed: 3, smoothing: 2, keyframes: .every(4))
        let analysis = try FilmAnalysis.analyze(input)
        let plain = try colorize(input, shots: try options.shotSettings(for: analysis, network: network),
                                 options: options, network: network, name: "plain.mkv")
        let image = try paint(input, frame: 5, tint: (60, -10, -50), to: file("ref5.png"))
        options.references = [Reference(frame: 5, image: image)]
        let shots = try options.shotSettings(for: analysis, network: network)
        XCTAssertEqual(shots.map { $0.references.map(\.frame) }, [[5], [], []])
        let painted = try colorize(input, shots: shots, options: options, network: network, name: "painted.mkv")
        for t in 12..<36 {
            XCTAssertTrue(painted[t].u == plain[t].u && painted[t].v == plain[t].v, "frame \(t): not the reference's shot")
        }
        // The tint is red-orange (Cr well above neutral at the reference frame), and every frame of
        // shot 0 keeps it: mean Cb and Cr within 14 of the reference frame's (the stripes repeat, so
        // the flow is unsure and the network's color-matched fill has a share), and far redder
        // than the network alone.
        func mean(_ plane: [UInt16]) -> Double { Double(plane.reduce(0) { $0 + Int($1) }) / Double(plane.count) }
        XCTAssertGreaterThan(mean(painted[5].v), 150)
        for t in 0..<12 {
            XCTAssertEqual(mean(painted[t].v), mean(painted[5].v), accuracy: 14, "frame \(t): Cr")
            XCTAssertEqual(mean(painted[t].u), mean(painted[5].u), accuracy: 14, "frame \(t): Cb")
            XCTAssertGreaterThan(mean(painted[t].v), mean(plain[t].v) + 15, "frame \(t): Cr against the network alone")
        }
        XCTAssertLessThan(mean(plain[5].v), 150, "the network alone is not that red (not vacuous)")
        for index in [0, 3, 5, 8, 11, 12] {
            let still = try Stills.renderFrame(index, of: input, shots: shots, network: network, options: options)
            XCTAssertTrue(still.u == painted[index].u && still.v == painted[index].v, "preview of frame \(index)")
        }
        // Without smoothing and without keyframes the motion is still measured for the shot with
        // the reference, so its colors are still carried.
        options.smoothing = 0
        options.keyframes = .all
        let bare = try colorize(input, shots: try options.shotSettings(for: analysis, network: network),
                                options: options, network: network, name: "bare.mkv")
        for t in [4, 6] {
            XCTAssertEqual(mean(bare[t].v), mean(bare[5].v), accuracy: 9, "frame \(t), no smoothing: Cr")
            XCTAssertEqual(mean(bare[t].u), mean(bare[5].u), accuracy: 9, "frame \(t), no smoothing: Cb")
        }
    }

    /// A camera setup that returns (A B A, setups 0 1 0): a reference painted in the first A shot
    /// colors the second too, carried over by flow into its frame to paint; the B shot between
    /// them is untouched, preview equals render, and without setups the second A shot is as before.
    func testAReferenceColorsTheOtherShotsOfItsSetup() throws {
        let input = file("aba.mkv")
        try makeFilm(input, contents: [0, 1, 0], length: 12)
        let network = GrayHueNetwork()
        let options = ColorizeOptions(for: network, classChoice: "1", seed: 3, smoothing: 2)
        func settings(references: [Reference], setups: [Int?]) -> [ShotSettings] {
            var shots = (0..<3).map { k in
                ShotSettings(index: k, start: 12 * k, end: 12 * k + 12, classIndex: 1, seed: 3, zStd: 0.8,
                             keyframes: KeyframePolicy.every(4).fixed(12 * k..<(12 * k + 12)),
                             references: references.filter { (12 * k..<(12 * k + 12)).contains($0.frame) }, setup: setups[k])
            }
            shots.lendReferences()
            return shots
        }
        let plain = try colorize(input, shots: settings(references: [], setups: [0, 1, 0]), options: options,
                                 network: network, name: "plain.mkv")
        let references = [Reference(frame: 5, image: try paint(input, frame: 5, tint: (60, -10, -50), to: file("ref5.png")))]
        let shots = settings(references: references, setups: [0, 1, 0])
        XCTAssertEqual(shots.map { $0.borrowed?.frame }, [nil, nil, 28])
        let painted = try colorize(input, shots: shots, options: options, network: network, name: "painted.mkv")
        func mean(_ plane: [UInt16]) -> Double { Double(plane.reduce(0) { $0 + Int($1) }) / Double(plane.count) }
        for t in 12..<24 {
            XCTAssertTrue(painted[t].u == plain[t].u && painted[t].v == plain[t].v, "frame \(t): another setup")
        }
        for t in 24..<36 {
            XCTAssertEqual(mean(painted[t].v), mean(painted[5].v), accuracy: 14, "frame \(t): Cr")
            XCTAssertEqual(mean(painted[t].u), mean(painted[5].u), accuracy: 14, "frame \(t): Cb")
            XCTAssertGreaterThan(mean(painted[t].v), mean(plain[t].v) + 15, "frame \(t): Cr against the network alone")
        }
        for index in [25, 30, 35] {
            let still = try Stills.renderFrame(index, of: input, shots: shots, network: network, options: options)
            XCTAssertTrue(still.u == painted[index].u && still.v == painted[index].v, "preview of frame \(index)")
        }
        let alone = settings(references: references, setups: [0, 1, 2])
        XCTAssertNil(alone[2].borrowed)
        let own = try colorize(input, shots: alone, options: options, network: network, name: "own.mkv")
        for t in 24..<36 { XCTAssertTrue(own[t].u == plain[t].u && own[t].v == plain[t].v, "frame \(t) without setups") }
    }

    /// A palette photo shifts the network's colors toward its own (here a red-orange picture of
    /// something else entirely): every frame of every shot gets redder than without it, and
    /// preview still equals render.
    func testAPaletteShiftsTheNetworksColorsTowardIt() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = GrayHueNetwork()
        var options = ColorizeOptions(for: network, classChoice: "1", seed: 3, smoothing: 2, keyframes: .every(4))
        let analysis = try FilmAnalysis.analyze(input)
        let plain = try colorize(input, shots: try options.shotSettings(for: analysis, network: network),
                                 options: options, network: network, name: "plain.mkv")
        var rgb = [UInt8](repeating: 0, count: 40 * 30 * 3)
        for p in 0..<(40 * 30) {
            rgb[3 * p] = UInt8(150 + p % 90)
            rgb[3 * p + 1] = UInt8(60 + p % 40)
            rgb[3 * p + 2] = UInt8(30 + p % 20)
        }
        try StillImage.writePNG(rgb: rgb, width: 40, height: 30, to: file("palette.png"))
        options.palette = try ReferenceImage.load(file("palette.png"), role: "palette")
        let shots = try options.shotSettings(for: analysis, network: network)
        let shifted = try colorize(input, shots: shots, options: options, network: network, name: "palette.mkv")
        func mean(_ plane: [UInt16]) -> Double { Double(plane.reduce(0) { $0 + Int($1) }) / Double(plane.count) }
        for t in [0, 5, 11, 12, 20, 30, 35] {
            XCTAssertGreaterThan(mean(shifted[t].v), mean(plain[t].v) + 8, "frame \(t): Cr")
        }
        for index in [3, 14, 30] {
            let still = try Stills.renderFrame(index, of: input, shots: shots, network: network, options: options)
            XCTAssertTrue(still.u == shifted[index].u && still.v == shifted[index].v, "preview of frame \(index)")
        }
    }

    /// A segment's checksum includes each reference image's content: repainting a reference
    /// renders exactly its shot again.
    func testEditingAReferenceChangesOnlyItsShotsChecksum() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = GrayHueNetwork()
        var (_, _, project, _) = try plan(input, network: FakeNetwork(), classChoice: "1")
        project.model = Project.ModelInfo(path: nil, name: network.name, sha256: network.checksum)
        _ = try paint(input, frame: 14, tint: (40, 0, -40), to: file("s2.png"))
        project.shots[1].references = [Project.ReferenceEntry(frame: 15, image: "s2.png")]
        let before = try SegmentedRender(project: project, network: network, workDirectory: file("work"), projectDirectory: directory)
        _ = try paint(input, frame: 14, tint: (0, 40, -40), to: file("s2.png"))
        let after = try SegmentedRender(project: project, network: network, workDirectory: file("work"), projectDirectory: directory)
        XCTAssertEqual(before.shots[1].references.map(\.frame), [14])
        XCTAssertEqual(before.checksum(0), after.checksum(0))
        XCTAssertNotEqual(before.checksum(1), after.checksum(1))
        XCTAssertEqual(before.checksum(2), after.checksum(2))
        // In one setup with shot 2 (which has no references of its own), shot 2 borrows the
        // reference, and repainting it renders shot 2 again too.
        for (i, setup) in [1, 2, 2].enumerated() { project.shots[i].setup = setup }
        let lent = try SegmentedRender(project: project, network: network, workDirectory: file("work"), projectDirectory: directory)
        _ = try paint(input, frame: 14, tint: (40, 0, -40), to: file("s2.png"))
        let repainted = try SegmentedRender(project: project, network: network, workDirectory: file("work"), projectDirectory: directory)
        XCTAssertEqual(lent.shots[2].borrowed?.references.map(\.frame), [14])
        XCTAssertEqual(lent.checksum(0), repainted.checksum(0))
        XCTAssertNotEqual(lent.checksum(1), repainted.checksum(1))
        XCTAssertNotEqual(lent.checksum(2), repainted.checksum(2))
        XCTAssertNotEqual(lent.checksum(2), before.checksum(2))
        // A path that does not exist is named.
        project.shots[2].references = [Project.ReferenceEntry(frame: 30, image: "missing.png")]
        XCTAssertThrowsError(try SegmentedRender(project: project, network: network, workDirectory: file("work"),
                                                 projectDirectory: directory)) { error in
            XCTAssertTrue("\(error)".contains("shots[2].references[0].image"), "\(error)")
            XCTAssertTrue("\(error)".contains("does not exist"), "\(error)")
        }
    }

    /// `"look": {"shot": 1}` on shot 3: its colors move to shot 1's (another class, another hue),
    /// the other shots are untouched, and a new class for shot 1 renders shot 3 again.
    func testALookShiftsAShotTowardAnothersColors() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = GrayHueNetwork()
        var (_, _, project, _) = try plan(input, network: FakeNetwork(), classChoice: "1")
        project.model = Project.ModelInfo(path: nil, name: network.name, sha256: network.checksum)
        project.shots[0].class = "0"
        let plain = try render(project, network: network, name: "plain.mkv")
        project.shots[2].look = Project.LookEntry(shot: 1)
        let looked = try render(project, network: network, name: "looked.mkv")
        func mean(_ frames: ArraySlice<VideoFrame>, _ plane: KeyPath<VideoFrame, [UInt16]>) -> Double {
            Double(frames.reduce(0) { $0 + $1[keyPath: plane].reduce(0) { $0 + Int($1) } })
                / Double(frames.reduce(0) { $0 + $1[keyPath: plane].count })
        }
        for plane in [\VideoFrame.u, \VideoFrame.v] {
            let target = mean(plain[0..<12], plane), before = mean(plain[22..<36], plane), after = mean(looked[22..<36], plane)
            XCTAssertGreaterThan(abs(before - target), 10, "the two shots differ to begin with (not vacuous)")
            XCTAssertLessThan(abs(after - target), 0.25 * abs(before - target), "shot 3 moves to shot 1's colors")
        }
        for t in 0..<22 { XCTAssertTrue(looked[t].u == plain[t].u && looked[t].v == plain[t].v, "frame \(t)") }
        let before = try SegmentedRender(project: project, network: network, workDirectory: file("work"))
        project.shots[0].class = "1"
        let after = try SegmentedRender(project: project, network: network, workDirectory: file("work"))
        XCTAssertNotEqual(before.checksum(2), after.checksum(2))
        XCTAssertEqual(before.checksum(1), after.checksum(1))
    }

    /// What a reference cannot be, each a one-line error that names the problem.
    func testBadReferencesAreRefused() throws {
        let input = file("film.mkv")
        try makeFilm(input, shots: Self.threeShots)
        let network = GrayHueNetwork()
        let analysis = try FilmAnalysis.analyze(input)
        func refused(_ body: () throws -> Void, _ fragment: String, line: UInt = #line) {
            XCTAssertThrowsError(try body(), line: line) { error in
                XCTAssertTrue("\(error)".contains(fragment), "'\(error)' lacks '\(fragment)'", line: line)
                XCTAssertFalse("\(error)".contains("\n"), line: line)
            }
        }
        let gray = file("gray.png")
        try StillImage.writePNG(rgb: [UInt8](repeating: 120, count: 96 * 64 * 3), width: 96, height: 64, to: gray)
        refused({ _ = try ReferenceImage.load(gray) }, "gray")
        try Data("not a picture".utf8).write(to: file("text.png"))
        refused({ _ = try ReferenceImage.load(self.file("text.png")) }, "not an image")
        refused({ _ = try ReferenceImage.load(self.file("none.png")) }, "cannot read")
        let good = try paint(input, frame: 3, tint: (40, 0, -40), to: file("good.png"))
        var wide = [UInt8](repeating: 0, count: 128 * 64 * 3)
        for p in stride(from: 0, to: wide.count, by: 3) { wide[p] = 200 }
        try StillImage.writePNG(rgb: wide, width: 128, height: 64, to: file("wide.png"))
        let wideImage = try ReferenceImage.load(file("wide.png"))
        var options = ColorizeOptions(for: network, classChoice: "1")
        options.references = [Reference(frame: 3, image: wideImage)]
        refused({ _ = try options.shotSettings(for: analysis, network: network) }, "aspect ratios must agree within 1%")
        options.references = [Reference(frame: 3, image: good), Reference(frame: 3, image: good)]
        refused({ _ = try options.shotSettings(for: analysis, network: network) }, "two references for frame 4")
        options.references = [Reference(frame: 36, image: good)]
        refused({ _ = try options.shotSettings(for: analysis, network: network) }, "reference for frame 37: outside the film")
        // A reference of another frame (another shot's picture) does not resemble its frame.
        let scores = try Reference.similarities([Reference(frame: 3, image: good), Reference(frame: 30, image: good)],
                                                in: input, videoStream: nil, size: 64)
        XCTAssertGreaterThan(scores[0], Reference.similarityLevel)
        XCTAssertLessThan(scores[1], Reference.similarityLevel)
    }
}
