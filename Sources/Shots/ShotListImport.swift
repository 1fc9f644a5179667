import Foundation
import KinecolorFiles

/// A shot list that could not be used; `description` is one line naming the file and the line.
public struct ShotListError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
    init(_ message: String) { description = message }
}

/// A shot list cut in an editor, read back instead of detecting the cuts (`plan --shots`): the two
/// formats `ShotList` writes, PySceneDetect's CSV and a CMX 3600 EDL, read as it writes them, so a
/// list Kinecolor wrote comes back to the same shots. The shots must follow each other without gap
/// or overlap from the film's first frame; that they end with the film is known only once it has
/// been decoded (`shots(frameCount:)`).
public struct ImportedShotList: Sendable {
    /// A shot and the line of the file it came from, for messages.
    package struct Entry: Sendable, Equatable {
        package var shot: Shot
        package var line: Int
    }

    /// The file's name, as messages show it.
    package var name: String
    package var entries: [Entry]
    /// Things taken otherwise than written (a dissolve as a cut), one line each.
    package var warnings: [String] = []

    /// The shot list in `text` (a CSV with the `Scene Number,…` header, or an EDL: a `TITLE:`/`FCM:`
    /// line or events); `fps`: the film's rate, which the EDL's `HH:MM:SS:FF` labels count at
    /// (`SMPTELabel.frame(fps:)`, as `ShotList.edl` writes them).
    package static func read(_ text: String, name: String, fps: Double) throws -> ImportedShotList {
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
            .map { $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "\r", with: "") }
        var list: ImportedShotList
        if lines.contains(where: { fields($0).first == "Scene Number" }) {
            list = try readCSV(lines, name: name)
        } else if lines.contains(where: { $0.hasPrefix("TITLE:") || $0.hasPrefix("FCM:") || isEvent($0) }) {
            list = try readEDL(lines, name: name, fps: fps)
        } else {
            throw ShotListError("\(name): neither a PySceneDetect CSV (no 'Scene Number,…' header line) nor a CMX 3600 EDL (no TITLE: line or events)")
        }
        try list.checkContinuity()
        return list
    }

    /// The shot starting at `frame`, other than the first: what a shot detector would report there.
    /// Asked once per frame of the film, so a binary search (`read` made the starts ascending).
    package func cut(at frame: Int) -> Int? {
        guard frame > 0 else { return nil }
        var lo = 0, hi = entries.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if entries[mid].shot.start < frame { lo = mid + 1 } else { hi = mid }
        }
        return lo < entries.count && entries[lo].shot.start == frame ? frame : nil
    }

    /// The shots, once the film's length is known: they must end with its last frame.
    package func shots(frameCount: Int) throws -> [Shot] {
        if let beyond = entries.first(where: { $0.shot.end > frameCount }) {
            throw ShotListError("\(name) line \(beyond.line): the shot (\(frames(beyond.shot))) is outside the film (it has \(frameCount) frames)")
        }
        if let last = entries.last, last.shot.end < frameCount {
            throw ShotListError("\(name): the shots end at frame \(last.shot.end) (line \(last.line)) but the film has \(frameCount) frames; frames \(last.shot.end + 1)–\(frameCount) are in no shot")
        }
        return entries.map(\.shot)
    }

    /// "frames 56–100": 1-based and inclusive, as the CSV and the project file count.
    private func frames(_ shot: Shot) -> String { "frames \(shot.start + 1)–\(shot.end)" }

    private func checkContinuity() throws {
        guard let first = entries.first else { throw ShotListError("\(name): no shots in the file") }
        guard first.shot.start == 0 else {
            throw ShotListError("\(name) line \(first.line): the first shot starts at frame \(first.shot.start + 1); the shots must cover the film from frame 1")
        }
        for (before, entry) in zip(entries, entries.dropFirst()) where entry.shot.start != before.shot.end {
            let s = entry.shot.start, end = before.shot.end
            throw ShotListError(s > end
                ? "\(name) line \(entry.line): a gap: frames \(end + 1)–\(s) are in no shot (the shot on line \(before.line) ends at frame \(end), this one starts at frame \(s + 1))"
                : "\(name) line \(entry.line): an overlap: this shot starts at frame \(s + 1), inside the shot on line \(before.line) (\(frames(before.shot)))")
        }
    }

    // MARK: PySceneDetect CSV

    /// `list-scenes` output: an optional `Timecode List:` line (or an empty one) before the header,
    /// then one row per scene. Start Frame is 1-based and End Frame is the scene's last frame
    /// (`ShotList.csv`), so a row is the shot `(start - 1)..<end`. Other columns are not read.
    private static func readCSV(_ lines: [String], name: String) throws -> ImportedShotList {
        let headerIndex = lines.firstIndex { fields($0).first == "Scene Number" }!
        for (i, line) in lines[..<headerIndex].enumerated() where !line.isEmpty && !line.hasPrefix("Timecode List:") {
            throw ShotListError("\(name) line \(i + 1): expected the 'Scene Number,Start Frame,…' header or a 'Timecode List:' line")
        }
        let header = fields(lines[headerIndex])
        guard let startColumn = header.firstIndex(of: "Start Frame"), let endColumn = header.firstIndex(of: "End Frame") else {
            throw ShotListError("\(name) line \(headerIndex + 1): the header has no 'Start Frame' and 'End Frame' columns")
        }
        var entries: [Entry] = []
        for (i, line) in lines.enumerated().dropFirst(headerIndex + 1) where !line.isEmpty {
            let row = fields(line)
            guard row.count > max(startColumn, endColumn), let start = Int(row[startColumn]), let end = Int(row[endColumn]),
                  start >= 1, end < Int(Int32.max) else {
                throw ShotListError("\(name) line \(i + 1): expected whole numbers of frames in 'Start Frame' and 'End Frame' (the first frame is 1)")
            }
            guard end >= start else {
                throw ShotListError("\(name) line \(i + 1): the scene ends (frame \(end)) before it starts (frame \(start))")
            }
            entries.append(Entry(shot: Shot(start: start - 1, end: end), line: i + 1))
        }
        return ImportedShotList(name: name, entries: entries)
    }

    /// The fields of a CSV line; PySceneDetect quotes none, but a spreadsheet may quote them all.
    private static func fields(_ line: String) -> [String] {
        line.split(separator: ",", omittingEmptySubsequences: false).map { field in
            var f = field.trimmingCharacters(in: .whitespaces)
            if f.count >= 2, f.hasPrefix("\""), f.hasSuffix("\"") { f = String(f.dropFirst().dropLast()) }
            return f
        }
    }

    // MARK: CMX 3600 EDL

    /// An event line: `NNN  REEL  TRACK  TRANSITION [DURATION]  SRC-IN SRC-OUT REC-IN REC-OUT`.
    private static func isEvent(_ line: String) -> Bool {
        let tokens = line.split(separator: " ", omittingEmptySubsequences: true)
        return tokens.count >= 8 && tokens[0].allSatisfy(\.isNumber)
    }

    /// Video events on the record timeline (the edited film), in the file's order. Audio-only
    /// events are left out; an event of no length (the outgoing side of a dissolve) too. A
    /// dissolve, wipe or key is taken as a cut at its start, with a warning. A record timeline
    /// that starts at a whole hour (editors start at 01:00:00:00) is counted from that hour.
    private static func readEDL(_ lines: [String], name: String, fps: Double) throws -> ImportedShotList {
        var list = ImportedShotList(name: name, entries: [])
        var dropFrame = false
        var origin: Int?
        for (i, line) in lines.enumerated() {
            if line.hasPrefix("FCM:") { dropFrame = line.uppercased().contains("DROP FRAME") && !line.uppercased().contains("NON-DROP") }
            guard isEvent(line) else { continue }
            let tokens = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            let track = tokens[2].uppercased(), transition = tokens[3].uppercased()
            guard track.contains("V") || track == "B" else { continue }
            func label(_ text: String) throws -> SMPTELabel {
                guard case .smpte(var label)? = try? Timecode.parsePosition(text) else {
                    throw ShotListError("\(name) line \(i + 1): '\(text)' is not a timecode HH:MM:SS:FF")
                }
                label.dropFrame = label.dropFrame || dropFrame
                return label
            }
            let labelIn = try label(tokens[tokens.count - 2]), labelOut = try label(tokens[tokens.count - 1])
            let recordIn: Int, recordOut: Int
            do {
                (recordIn, recordOut) = (try labelIn.frame(fps: fps), try labelOut.frame(fps: fps))
            } catch {
                throw ShotListError("\(name) line \(i + 1): \(error)")
            }
            guard recordOut >= recordIn else {
                throw ShotListError("\(name) line \(i + 1): the event's record out \(labelOut) is before its record in \(labelIn)")
            }
            guard recordOut > recordIn else { continue }
            if origin == nil {
                let startsAtHour = labelIn.hours > 0 && labelIn.minutes == 0 && labelIn.seconds == 0 && labelIn.frames == 0
                origin = startsAtHour ? recordIn : 0
                if startsAtHour { list.warnings.append("\(name): the record timeline starts at \(labelIn); taken as the film's first frame") }
            }
            if transition != "C" {
                list.warnings.append("\(name) line \(i + 1): \(transitionName(transition)) taken as a cut at its start (\(labelIn))")
            }
            guard recordIn >= origin! else {
                throw ShotListError("\(name) line \(i + 1): the event starts at \(labelIn), before the record timeline's start")
            }
            list.entries.append(Entry(shot: Shot(start: recordIn - origin!, end: recordOut - origin!), line: i + 1))
        }
        return list
    }

    private static func transitionName(_ code: String) -> String {
        switch code.first {
        case "D": return "a dissolve"
        case "W": return "a wipe"
        case "K": return "a key"
        default: return "transition '\(code)'"
        }
    }
}
