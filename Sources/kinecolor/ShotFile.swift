import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorPipeline
import KinecolorShots

/// `plan --shots FILE`: a shot list cut in an editor (a PySceneDetect CSV or a CMX 3600 EDL), read
/// and checked before the long pass, so that a bad file costs nothing.
enum ShotFile {
    /// A shot list is a line or two per shot: a bigger file is not one, and is not read whole.
    static let maxBytes = 16 << 20

    /// The list in `path`; its EDL timecodes count at the rate of `film`'s video stream, as
    /// `kinecolor shots --edl` writes them.
    static func read(_ path: String, film: URL, videoStream: Int?) throws -> ImportedShotList {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw CLIError("--shots \(path): no such file") }
        if isDirectory.boolValue { throw CLIError("--shots \(path): is a directory, not a shot list") }
        let data = try FileHead.read(URL(fileURLWithPath: path), upTo: maxBytes + 1)
        guard data.count <= maxBytes else { throw CLIError("--shots \(path): larger than \(maxBytes >> 20) MB, not a shot list") }
        // Avid writes clip names in Latin-1: such a list is still readable (only frame numbers and
        // timecodes are read). A NUL byte means a binary file.
        guard !data.contains(0), let text = String(data: data, encoding: .utf8) ?? String(data: data, encoding: .isoLatin1) else {
            throw CLIError("--shots \(path): not a text file (expected a PySceneDetect CSV or a CMX 3600 EDL)")
        }
        let reader = try MediaReader(url: film, videoStream: videoStream)
        let fps = reader.video.timecodeRate
        reader.close()
        return try ImportedShotList.read(text, name: path, fps: fps)
    }
}
