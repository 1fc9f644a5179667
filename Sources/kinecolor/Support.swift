import ArgumentParser
import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorModel
import KinecolorPipeline

/// A one-line error for the user.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

enum Output {
    /// Refuses an output that exists (unless overwriting), that is one of the inputs, or whose
    /// folder is missing or not writable — before any work is done.
    static func checkWritable(_ path: String, overwrite: Bool, inputs: [String]) throws {
        let url = URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath()
        for input in inputs where URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath() == url {
            throw CLIError("\(path): the output would overwrite an input")
        }
        try AtomicFile.checkDestination(URL(fileURLWithPath: path), overwrite: overwrite)
        var isDir: ObjCBool = false
        let dir = url.deletingLastPathComponent().path
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw CLIError("\(path): folder \(dir) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: dir) else { throw CLIError("\(path): folder \(dir) is not writable") }
    }
}

enum Input {
    /// A missing path, a directory or an empty file gets a one-line error before any decoding.
    static func checkReadable(_ path: String) throws {
        if ImageSequence.isPattern(path) {
            // A sequence is checked as a whole: no file, or a missing number, is its error.
            do { _ = try ImageSequence(pattern: path) } catch let e as MediaError { throw CLIError(e.description) }
            return
        }
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw CLIError("\(path): no such file") }
        if isDir.boolValue { throw CLIError("\(path): is a directory, not a film") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        if size == 0 { throw CLIError("\(path): the file is empty") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw CLIError("\(path): not readable") }
    }
}

/// Every numeric option has a range; a value outside it (NaN included) is a usage error that
/// names the flag. The ranges that projects share live with the options they bound.
enum Bounds {
    static let threads: ClosedRange<Int> = 1...256
    static let videoStream = ColorizeOptions.videoStreamRange
    static let frameNumber: ClosedRange<Int> = 1...Int(Int32.max)

    static func check<T: Comparable>(_ value: T?, _ range: ClosedRange<T>, _ flag: String) throws {
        guard let value else { return }
        guard range.contains(value) else {
            throw ValidationError("\(flag) \(value) must be in \(range.lowerBound)…\(range.upperBound)")
        }
    }

    /// Colorization settings given as flags, checked where the library checks them
    /// (`SettingError.check`): a refusal is a usage error that names the flag.
    static func check(saturation: Double? = nil, zStd: Double? = nil, smoothing: Int? = nil) throws {
        do { try SettingError.check(saturation: saturation, zStd: zStd, smoothing: smoothing) } catch {
            throw ValidationError(Messages.text(for: error) ?? "\(error)")
        }
    }
}
