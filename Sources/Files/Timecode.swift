import Foundation

/// A timecode string that could not be read; `description` is one line for the user.
package struct TimecodeError: Error, Equatable, CustomStringConvertible, LocalizedError {
    public let description: String
    public var errorDescription: String? { description }
}

/// Timecode formatting and parsing, the one home for every `HH:MM:SS` a user reads or types
/// (shot lists, project files, messages, progress). Times are seconds from the first frame.
public enum Timecode {
    /// The longest time `parse` accepts and `format` prints (999999:59:59.999): far beyond any
    /// film, small enough that the hour count always fits an Int.
    package static let maxSeconds = 999_999 * 3600.0 + 3599.999

    /// `HH:MM:SS.mmm`, rounded to the millisecond exactly as PySceneDetect's
    /// `FrameTimecode.get_timecode()` (negative times and NaN print as zero; times past
    /// `maxSeconds`, infinity included, print as `maxSeconds`).
    public static func format(seconds: Double) -> String {
        var secs = seconds.isNaN ? 0 : min(max(0, seconds), maxSeconds)
        var hours = Int(secs / 3600)
        secs -= Double(hours) * 3600
        var minutes = Int(secs / 60)
        secs = max(0, secs - Double(minutes) * 60)
        var text = String(format: "%06.3f", secs)
        // 59.9996 rounds up to "60.000": carry into the minutes.
        if text.hasPrefix("60") {
            text = "00.000"
            minutes += 1
            if minutes == 60 {
                minutes = 0
                hours += 1
            }
        }
        return String(format: "%02d:%02d:", hours, minutes) + text
    }

    /// `HH:MM:SS.mmm` of a whole number of milliseconds (negative counts print as zero). Project
    /// files round each time to the millisecond first and print that, so their timecodes are this.
    public static func format(milliseconds: Int) -> String {
        let ms = max(0, milliseconds)
        return String(format: "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
    }

    /// A duration rounded to the second for people watching a job: `M:SS` under an hour,
    /// `H:MM:SS` from an hour on (elapsed time, time left). Negative or NaN durations print as
    /// `0:00`, durations past `maxSeconds` as `maxSeconds`.
    public static func clock(seconds: Double) -> String {
        let s = seconds.isNaN ? 0 : Int(min(max(0, seconds).rounded(), maxSeconds.rounded(.down)))
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
    }

    /// `HH:MM:SS:FF` non-drop-frame timecode of a 0-based frame index, counted at
    /// the nominal rate (23.976 and 29.97 count as 24 and 30), as in CMX 3600 EDLs.
    /// With `dropFrame` (only at 29.97 and 59.94, `dropFrameCount`), `HH:MM:SS;FF` with the
    /// labels SMPTE 12M skips left out, so that the label keeps up with the clock.
    package static func smpte(frame: Int, fps: Double, dropFrame: Bool = false) -> String {
        let rate = nominalRate(fps)
        var frames = max(0, frame)
        if dropFrame, let drop = dropFrameCount(fps) {
            // Every minute drops `drop` labels except every tenth: 10 minutes hold this many frames.
            let perTenMinutes = rate * 600 - drop * 9, perMinute = rate * 60 - drop
            let tens = frames / perTenMinutes, rest = frames % perTenMinutes
            frames += drop * 9 * tens + (rest > drop ? drop * ((rest - drop) / perMinute) : 0)
        }
        let totalSeconds = frames / rate
        return String(format: "%02d:%02d:%02d\(dropFrame ? ";" : ":")%02d", totalSeconds / 3600, totalSeconds / 60 % 60,
                      totalSeconds % 60, frames % rate)
    }

    /// Labels that drop-frame counting skips per minute at `fps` (2 at 29.97, 4 at 59.94); nil
    /// at every other rate, where drop-frame timecode does not exist.
    package static func dropFrameCount(_ fps: Double) -> Int? {
        guard fps > 0, fps.isFinite else { return nil }
        for (nominal, drop) in [(30.0, 2), (60.0, 4)] where abs(fps * 1.001 - nominal) < 0.01 { return drop }
        return nil
    }

    /// Reads a user-given time: `HH:MM:SS.mmm`, `MM:SS.s`, or plain seconds
    /// (`62.5`, `62.5s`). Fractions are optional; fields after the first must be < 60.
    /// Times past `maxSeconds` are refused (a long digit string would otherwise give a value
    /// no timecode can print, or infinity).
    public static func parse(_ text: String) throws -> Double {
        try parse(text, expected: "HH:MM:SS.mmm, MM:SS.s or seconds (e.g. 62.5)")
    }

    /// Reads a position in a film as users and editors write it: every form `parse` reads, a
    /// leading minus (kept, so that the caller can say the time is before the film, with its
    /// length), and SMPTE `HH:MM:SS:FF` or drop-frame `HH:MM:SS;FF` (`SMPTELabel`), whose frame
    /// needs the film's rate.
    public static func parsePosition(_ text: String) throws -> FilmPosition {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let expected = "HH:MM:SS.mmm, MM:SS.s, seconds (e.g. 62.5) or SMPTE HH:MM:SS:FF (drop-frame HH:MM:SS;FF)"
        if trimmed.contains(";") || trimmed.split(separator: ":", omittingEmptySubsequences: false).count == 4 {
            guard let label = SMPTELabel(trimmed) else { throw failure(text, expected: expected) }
            return .smpte(label)
        }
        if trimmed.hasPrefix("-") {
            return .seconds(-(try parse(String(trimmed.dropFirst()), quoting: text, expected: expected)))
        }
        return .seconds(try parse(trimmed, quoting: text, expected: expected))
    }

    static func failure(_ text: String, expected: String) -> TimecodeError {
        TimecodeError(description: "invalid time \(quote(text)): expected \(expected)")
    }

    /// The text in quotes with its line breaks shown, so that a message stays one line.
    static func quote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n") + "\""
    }

    /// `parse`, naming `quoting` (the user's whole text) and the forms `expected` when it fails.
    private static func parse(_ text: String, quoting: String? = nil, expected: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let fail = failure(quoting ?? text, expected: expected), quoted = quote(quoting ?? text)
        let fields = trimmed.split(separator: ":", omittingEmptySubsequences: false)
        guard (1...3).contains(fields.count) else { throw fail }

        var lastField = fields[fields.count - 1]
        if fields.count == 1, lastField.hasSuffix("s") { lastField = lastField.dropLast() }
        guard let seconds = unsignedDecimal(lastField) else { throw fail }
        var total = seconds
        var unit = 60.0
        for field in fields.dropLast().reversed() {
            guard !field.isEmpty, field.allSatisfy(\.isASCIIDigit), let value = Double(field) else { throw fail }
            total += value * unit
            unit *= 60
        }
        // Only the leading field may be 60 or more (MM in HH:MM:SS, SS after a colon).
        if fields.count >= 2 {
            guard seconds < 60 else { throw fail }
            if fields.count == 3, let minutes = Double(fields[1]), minutes >= 60 { throw fail }
        }
        guard total <= maxSeconds else {
            throw TimecodeError(description: "invalid time \(quoted): longer than 999999 hours")
        }
        return total
    }

    static func nominalRate(_ fps: Double) -> Int {
        precondition(fps > 0 && fps.isFinite, "frame rate must be positive")
        return max(1, Int(fps.rounded()))
    }

    /// Digits with at most one decimal point and at least one digit: `12`, `12.5`, `.5`, `12.`.
    private static func unsignedDecimal(_ text: Substring) -> Double? {
        var digits = 0
        var points = 0
        for c in text {
            if c.isASCIIDigit { digits += 1 } else if c == "." { points += 1 } else { return nil }
        }
        guard digits > 0, points <= 1 else { return nil }
        return Double(text)
    }
}

/// A position in a film as the user wrote it (`Timecode.parsePosition`).
public enum FilmPosition: Equatable, Sendable {
    /// Seconds from the first frame; negative when written so.
    case seconds(Double)
    /// An SMPTE label, counted in frames at the film's rate.
    case smpte(SMPTELabel)
}

/// `HH:MM:SS:FF`, or drop-frame `HH:MM:SS;FF`: a frame counted at the nominal rate (24 at 23.976,
/// 30 at 29.97), as editors and Kinecolor's own EDLs (`Timecode.smpte`) write it.
public struct SMPTELabel: Equatable, Sendable, CustomStringConvertible {
    public var hours: Int
    public var minutes: Int
    public var seconds: Int
    public var frames: Int
    public var dropFrame: Bool

    public init(hours: Int, minutes: Int, seconds: Int, frames: Int, dropFrame: Bool) {
        (self.hours, self.minutes, self.seconds, self.frames, self.dropFrame) = (hours, minutes, seconds, frames, dropFrame)
    }

    /// Four fields of digits; drop-frame when the last separator is `;` (`HH:MM:SS;FF`, or
    /// `HH;MM;SS;FF` as some decks print it). Minutes and seconds below 60.
    init?(_ text: String) {
        let fields = text.split(omittingEmptySubsequences: false) { $0 == ":" || $0 == ";" }
        let separators = text.filter { $0 == ":" || $0 == ";" }
        guard fields.count == 4, separators.count == 3,
              fields.allSatisfy({ !$0.isEmpty && $0.count <= 6 && $0.allSatisfy(\.isASCIIDigit) }) else { return nil }
        // A `;` elsewhere (00;01:00:02) is no convention anyone writes.
        guard [":::", "::;", ";;;"].contains(separators) else { return nil }
        let v = fields.map { Int($0)! }
        guard v[1] < 60, v[2] < 60, v[3] < 1000 else { return nil }
        self.init(hours: v[0], minutes: v[1], seconds: v[2], frames: v[3], dropFrame: separators.last == ";")
    }

    public var description: String {
        String(format: "%02d:%02d:%02d%@%02d", hours, minutes, seconds, dropFrame ? ";" : ":", frames)
    }

    /// The 0-based frame this label names in a film at `fps`; refuses a frame field the rate does
    /// not reach, drop-frame at a rate without it, and the labels drop-frame counting skips.
    public func frame(fps: Double) throws -> Int {
        let rate = Timecode.nominalRate(fps), fpsText = String(format: "%g", fps)
        guard frames < rate else {
            throw TimecodeError(description: "timecode \(self) does not exist at \(fpsText) fps (frames count 00…\(rate - 1))")
        }
        let nonDrop = ((hours * 60 + minutes) * 60 + seconds) * rate + frames
        guard dropFrame else { return nonDrop }
        guard let drop = Timecode.dropFrameCount(fps) else {
            let plain = SMPTELabel(hours: hours, minutes: minutes, seconds: seconds, frames: frames, dropFrame: false)
            throw TimecodeError(description: "timecode \(self) is drop-frame, which exists only at 29.97 and 59.94 fps; the film runs at \(fpsText) fps (write \(plain))")
        }
        guard seconds > 0 || minutes % 10 == 0 || frames >= drop else {
            throw TimecodeError(description: "timecode \(self) does not exist: drop-frame counting skips frames 00…\(String(format: "%02d", drop - 1)) at the start of every minute but each tenth")
        }
        let totalMinutes = hours * 60 + minutes
        return nonDrop - drop * (totalMinutes - totalMinutes / 10)
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
