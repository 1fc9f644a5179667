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
    package static func smpte(frame: Int, fps: Double) -> String {
        let rate = nominalRate(fps)
        let frames = max(0, frame)
        let totalSeconds = frames / rate
        return String(format: "%02d:%02d:%02d:%02d", totalSeconds / 3600, totalSeconds / 60 % 60,
                      totalSeconds % 60, frames % rate)
    }

    /// Reads a user-given time: `HH:MM:SS.mmm`, `MM:SS.s`, or plain seconds
    /// (`62.5`, `62.5s`). Fractions are optional; fields after the first must be < 60.
    /// Times past `maxSeconds` are refused (a long digit string would otherwise give a value
    /// no timecode can print, or infinity).
    public static func parse(_ text: String) throws -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // The text is quoted with its line breaks shown, so that the message stays one line.
        let quoted = text.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n")
        let fail = TimecodeError(
            description: "invalid time \"\(quoted)\": expected HH:MM:SS.mmm, MM:SS.s or seconds (e.g. 62.5)")
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
            throw TimecodeError(description: "invalid time \"\(quoted)\": longer than 999999 hours")
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

private extension Character {
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
