import Foundation
import KinecolorTemporal
import XCTest

/// Smooths the frames made by kinecolor_training.shots_eval.temporal_demo. Runs only when
/// KINECOLOR_TEMPORAL_EVAL names that folder; writes INPUT_rN.f32 for each input
/// (flickering and clean frames) and radius.
final class TemporalEvaluation: XCTestCase {
    struct Meta: Decodable {
        let width: Int, height: Int, frames: Int, shots: [Int], radii: [Int], inputs: [String]
    }

    func testSmoothDemoFrames() throws {
        guard let folder = ProcessInfo.processInfo.environment["KINECOLOR_TEMPORAL_EVAL"] else {
            throw XCTSkip("set KINECOLOR_TEMPORAL_EVAL to the folder written by python3 -m kinecolor_training.shots_eval.temporal_demo")
        }
        let dir = URL(fileURLWithPath: folder)
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: dir.appendingPathComponent("meta.json")))
        for input in meta.inputs {
            try smooth(input, meta: meta, dir: dir)
        }
    }

    func smooth(_ input: String, meta: Meta, dir: URL) throws {
        let plane = meta.width * meta.height
        let data = try Data(contentsOf: dir.appendingPathComponent(input + ".f32"))
        XCTAssertEqual(data.count, meta.frames * 3 * plane * 4)
        // Little-endian float32 [frames, 3, h, w]: luma guide, a, b.
        let values: [Float] = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let frames = (0..<meta.frames).map { k -> ChromaFrame in
            let base = k * 3 * plane
            return ChromaFrame(width: meta.width, height: meta.height,
                               luma: Array(values[base..<(base + plane)]),
                               a: Array(values[(base + plane)..<(base + 2 * plane)]),
                               b: Array(values[(base + 2 * plane)..<(base + 3 * plane)]))
        }
        for radius in meta.radii {
            let start = Date()
            var smoother = TemporalSmoother(radius: radius)
            var out: [ChromaFrame] = []
            for (k, frame) in frames.enumerated() {
                let shot = meta.shots.lastIndex { $0 <= k } ?? 0
                out += smoother.push(frame, shot: shot)
            }
            out += smoother.flush()
            XCTAssertEqual(out.count, frames.count)
            var flat: [Float] = []
            flat.reserveCapacity(values.count)
            for frame in out { flat += frame.luma + frame.a + frame.b }
            try flat.withUnsafeBufferPointer { Data(buffer: $0) }
                .write(to: dir.appendingPathComponent("\(input)_r\(radius).f32"))
            print(String(format: "%@ radius %d: %.1f ms/frame (debug build)", input, radius,
                         Date().timeIntervalSince(start) * 1000 / Double(frames.count)))
        }
    }
}
