import Foundation
import KinecolorShots
import XCTest

/// Scores the detector on the clips made by kinecolor_training.shots_eval.build_clips.
/// Runs only when KINECOLOR_SHOTS_EVAL names their folder; see Training/shots_eval/README.md.
/// Prints precision/recall/F1 per clip and overall (a detection within +-1 frame of a
/// ground-truth cut is a hit, each cut matched at most once), and writes
/// NAME.detected.json next to each clip.
final class ShotsEvaluation: XCTestCase {
    struct Clip: Decodable {
        let name: String, width: Int, height: Int, frames: Int, cuts: [Int]
    }

    func testDetectorOnEvaluationClips() throws {
        guard let folder = ProcessInfo.processInfo.environment["KINECOLOR_SHOTS_EVAL"] else {
            throw XCTSkip("set KINECOLOR_SHOTS_EVAL to the folder written by python3 -m kinecolor_training.shots_eval.build_clips")
        }
        let dir = URL(fileURLWithPath: folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".json") && !$0.hasSuffix(".detected.json") }.sorted()
        XCTAssertFalse(names.isEmpty, "no clips in \(folder)")

        var total = (tp: 0, fp: 0, fn: 0)
        print("clip".padding(toLength: 26, withPad: " ", startingAt: 0)
              + " frames cuts  det  fp  fn      P      R     F1")
        for name in names {
            let clip = try JSONDecoder().decode(Clip.self, from: Data(contentsOf: dir.appendingPathComponent(name)))
            let luma = try Data(contentsOf: dir.appendingPathComponent(clip.name + ".gray"))
            let frameSize = clip.width * clip.height
            XCTAssertEqual(luma.count, frameSize * clip.frames, clip.name)

            var detector = ShotDetector()
            luma.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                for f in 0..<clip.frames {
                    let frame = UnsafeBufferPointer(rebasing: bytes[(f * frameSize)..<((f + 1) * frameSize)])
                    detector.push(luma: frame, width: clip.width, height: clip.height)
                }
            }
            let detected = detector.finish().dropFirst().map(\.start)

            var unmatched = clip.cuts
            var tp = 0
            for cut in detected {
                if let i = unmatched.firstIndex(where: { abs($0 - cut) <= 1 }) {
                    unmatched.remove(at: i)
                    tp += 1
                }
            }
            let fp = detected.count - tp, fn = unmatched.count
            total = (total.tp + tp, total.fp + fp, total.fn + fn)
            print(row(clip.name, clip.frames, clip.cuts.count, detected.count, tp, fp, fn))
            if fp + fn > 0 { print("    truth \(clip.cuts)\n    found \(detected)") }
            let out = try JSONSerialization.data(withJSONObject: ["name": clip.name, "cuts": detected])
            try out.write(to: dir.appendingPathComponent(clip.name + ".detected.json"))
        }
        print(row("OVERALL", 0, total.tp + total.fn, total.tp + total.fp, total.tp, total.fp, total.fn))
        let (p, r, f1) = scores(total.tp, total.fp, total.fn)
        print("SHOTS_EVAL {\"precision\": \(p), \"recall\": \(r), \"f1\": \(f1), \"tp\": \(total.tp), "
              + "\"fp\": \(total.fp), \"fn\": \(total.fn)}")
        XCTAssertGreaterThanOrEqual(f1, 0.95)
    }

    /// Precision and recall are 1 when there is nothing to find and nothing was found.
    func scores(_ tp: Int, _ fp: Int, _ fn: Int) -> (Double, Double, Double) {
        let p = tp + fp == 0 ? 1 : Double(tp) / Double(tp + fp)
        let r = tp + fn == 0 ? 1 : Double(tp) / Double(tp + fn)
        return (p, r, p + r == 0 ? 0 : 2 * p * r / (p + r))
    }

    func row(_ name: String, _ frames: Int, _ cuts: Int, _ det: Int, _ tp: Int, _ fp: Int, _ fn: Int) -> String {
        let (p, r, f1) = scores(tp, fp, fn)
        return name.padding(toLength: 26, withPad: " ", startingAt: 0)
            + String(format: " %6d %4d %4d %3d %3d %6.3f %6.3f %6.3f", frames, cuts, det, fp, fn, p, r, f1)
    }
}
