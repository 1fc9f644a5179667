import CFFmpeg
import Foundation
import Synchronization

/// A numbered image sequence named by a printf pattern, `frames_%06d.dpx` or `f%d.png`, as
/// ffmpeg's image2 demuxer and muxer name them: the form restorers and scanners use.
///
/// The demuxer alone would start at whichever of the first five numbers exists and stop
/// silently at the first missing one, so a gap would shorten the film without a word. The
/// folder is scanned here first: no matching file, or a missing number between the first and
/// the last, is a one-line error naming it.
public struct ImageSequence: Sendable, Equatable {
    /// The pattern as given, folder included.
    public let pattern: String
    /// The number of the first file.
    public let first: Int
    /// How many files, numbered `first`, `first + 1`, … without a gap.
    public let count: Int

    /// The rate the image2 demuxer gives a sequence when nobody says otherwise.
    public static let defaultFrameRate = Rational(25, 1)

    /// True when the last path component holds exactly one frame number, `%d` or `%0Nd`,
    /// and no file of that literal name exists (a file named `100%d.mkv` stays a file).
    public static func isPattern(_ path: String) -> Bool {
        guard numberField(in: (path as NSString).lastPathComponent) != nil else { return false }
        return !FileManager.default.fileExists(atPath: path)
    }

    /// The `%d` / `%0Nd` field of a file name: its range and its width (0: not padded). nil
    /// when there is none, or more than one `%` (`%%` and other conversions are not supported).
    static func numberField(in name: String) -> (range: Range<String.Index>, width: Int)? {
        guard name.filter({ $0 == "%" }).count == 1, let percent = name.firstIndex(of: "%") else { return nil }
        var i = name.index(after: percent)
        var digits = ""
        while i < name.endIndex, name[i].isASCII, name[i].isNumber { digits.append(name[i]); i = name.index(after: i) }
        guard i < name.endIndex, name[i] == "d", digits.isEmpty || digits.hasPrefix("0") else { return nil }
        let width = Int(digits) ?? 0
        guard width <= 12 else { return nil }
        return (percent..<name.index(after: i), width)
    }

    /// The file name of frame `number` (`frames_000012.png`), folder included.
    public func path(of number: Int) -> String {
        Self.path(pattern, number: number)
    }

    /// `pattern` with `number` where its %d goes; also names the pages of a contact sheet.
    public static func path(_ pattern: String, number: Int) -> String {
        let folder = (pattern as NSString).deletingLastPathComponent
        var name = (pattern as NSString).lastPathComponent
        guard let field = numberField(in: name) else { return pattern }
        let digits = String(number)
        name.replaceSubrange(field.range, with: String(repeating: "0", count: max(0, field.width - digits.count)) + digits)
        return folder.isEmpty ? name : (folder as NSString).appendingPathComponent(name)
    }

    /// Scans the pattern's folder. Throws a one-line `MediaError` when no file matches or the
    /// numbers have a gap.
    public init(pattern: String) throws {
        let url = URL(fileURLWithPath: pattern)
        let name = (pattern as NSString).lastPathComponent
        guard let field = Self.numberField(in: name) else {
            throw MediaError(.cannotOpen, url, "not an image sequence pattern (it needs one %d or %06d where the frame number goes)")
        }
        let folder = (pattern as NSString).deletingLastPathComponent
        let prefix = String(name[..<field.range.lowerBound]), suffix = String(name[field.range.upperBound...])
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)) ?? []
        var numbers: [Int] = []
        for entry in entries where entry.hasPrefix(prefix) && entry.hasSuffix(suffix) && entry.count > prefix.count + suffix.count {
            let middle = entry.dropFirst(prefix.count).dropLast(suffix.count)
            // Padded patterns match their width exactly, as the demuxer reads them (wider numbers too).
            guard middle.allSatisfy({ $0.isASCII && $0.isNumber }), middle.count >= field.width,
                  field.width > 0 || middle == String(Int(middle) ?? -1), let n = Int(middle),
                  Self.path(pattern, number: n) == (folder.isEmpty ? entry : (folder as NSString).appendingPathComponent(entry))
            else { continue }
            numbers.append(n)
        }
        numbers.sort()
        guard let first = numbers.first, let last = numbers.last else {
            throw MediaError(.cannotOpen, url, "no file matches the image sequence pattern")
        }
        if last - first + 1 != numbers.count {
            let missing = zip(numbers, numbers.dropFirst()).first { $1 != $0 + 1 }!.0 + 1
            let name = (Self.path(pattern, number: missing) as NSString).lastPathComponent
            throw MediaError(.cannotOpen, url, "the sequence has a gap: \(name) is missing "
                             + "(\(numbers.count) files numbered \(first)…\(last))")
        }
        self.pattern = pattern
        self.first = first
        count = numbers.count
    }

    // MARK: - Frame rate

    /// The rate each sequence is read at, by pattern: set once by the command (`--fps`) before
    /// anything opens the input. A sequence has no clock of its own, and the input is opened by
    /// path in many places (analysis, render, stream copy, stills); keyed here, every one of them
    /// reads the same timing, as they would read a container's.
    private static let rates = Mutex<[String: Rational]>([:])

    /// Reads the sequence `pattern` at `rate` frames per second from now on.
    public static func setFrameRate(_ rate: Rational, forPattern pattern: String) {
        let key = URL(fileURLWithPath: pattern).standardizedFileURL.path
        rates.withLock { $0[key] = rate }
    }

    public static func frameRate(forPattern pattern: String) -> Rational {
        let key = URL(fileURLWithPath: pattern).standardizedFileURL.path
        return rates.withLock { $0[key] } ?? defaultFrameRate
    }

    /// Opens the sequence with the image2 demuxer at its rate, from its first number.
    func open() throws -> UnsafeMutablePointer<AVFormatContext> {
        let url = URL(fileURLWithPath: pattern)
        let rate = Self.frameRate(forPattern: pattern)
        var options: OpaquePointer? = nil
        defer { av_dict_free(&options) }
        av_dict_set(&options, "pattern_type", "sequence", 0)
        av_dict_set(&options, "start_number", String(first), 0)
        av_dict_set(&options, "framerate", "\(rate.numerator)/\(rate.denominator)", 0)
        var ctx: UnsafeMutablePointer<AVFormatContext>? = nil
        clearFFmpegError()
        let rc = avformat_open_input(&ctx, pattern, av_find_input_format("image2"), &options)
        guard rc >= 0, let ctx else {
            throw MediaError(.cannotOpen, url, "cannot open the image sequence (\(ffErrorText(rc))\(lastFFmpegError()))")
        }
        return ctx
    }
}
