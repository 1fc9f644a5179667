import Foundation
import KinecolorFiles

/// A film's shots with its frame rate, written out as a shot list.
package struct ShotList: Sendable {
    public var shots: [Shot]
    /// Frames per second, as exact as known (24000/1001, not 23.976).
    public var fps: Double

    public init(shots: [Shot], fps: Double) {
        precondition(fps > 0 && fps.isFinite, "frame rate must be positive")
        self.shots = shots
        self.fps = fps
    }

    /// The CSV that PySceneDetect's `list-scenes` writes. First row: `Timecode List:`
    /// and the start timecode of every shot but the first (an empty row when there is
    /// no cut, as PySceneDetect does). Then one row per shot: Start Frame is 1-based,
    /// End Frame is the 1-based index of the shot's last frame (= our exclusive `end`),
    /// End Timecode/Time is when the next shot starts, Length = end - start.
    package func csv() -> String {
        var lines: [String] = []
        let cuts = shots.dropFirst().map { Timecode.format(seconds: seconds($0.start)) }
        lines.append(cuts.isEmpty ? "" : (["Timecode List:"] + cuts).joined(separator: ","))
        lines.append("Scene Number,Start Frame,Start Timecode,Start Time (seconds),End Frame,End Timecode,"
                     + "End Time (seconds),Length (frames),Length (timecode),Length (seconds)")
        for (index, shot) in shots.enumerated() {
            let start = seconds(shot.start), end = seconds(shot.end), length = seconds(shot.count)
            let fields = [
                "\(index + 1)", "\(shot.start + 1)", Timecode.format(seconds: start), String(format: "%.3f", start),
                "\(shot.end)", Timecode.format(seconds: end), String(format: "%.3f", end),
                "\(shot.count)", Timecode.format(seconds: length), String(format: "%.3f", length),
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A CMX 3600 EDL, one cut event per shot on reel `AX`, non-drop-frame timecodes at
    /// the nominal rate (see `Timecode.smpte`). Out points are exclusive (CMX convention:
    /// an event's out is the next event's in); source and record times are both the
    /// film's own timeline. PySceneDetect's `save-edl` instead writes the last frame.
    package func edl(title: String, clipName: String) -> String {
        var lines = ["TITLE: \(title)", "FCM: NON-DROP FRAME"]
        for (index, shot) in shots.enumerated() {
            let tcIn = Timecode.smpte(frame: shot.start, fps: fps)
            let tcOut = Timecode.smpte(frame: shot.end, fps: fps)
            lines.append("")
            lines.append(String(format: "%03d", index + 1) + "  AX       V     C        \(tcIn) \(tcOut) \(tcIn) \(tcOut)")
            lines.append("* FROM CLIP NAME: \(clipName)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func seconds(_ frame: Int) -> Double { Double(frame) / fps }
}
