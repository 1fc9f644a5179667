import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorShots

/// Analyses of films, kept so that the next `preview`, `plan` or `colorize` of the same film with
/// the same settings skips the pass over it (minutes for a feature). One JSON file per analysis,
/// named by a hash of everything the result depends on: the film (its first 8 MiB, size and
/// modification time), the video stream, the detector's options, the class-estimating model's
/// checksum, the keyframe size, and the `kinecolor` executable itself (its size and modification
/// time, so that any other build analyses again rather than trust an older one's results). An
/// entry that cannot be read is ignored; the newest `keep` entries are kept.
public struct AnalysisCache: Sendable {
    public let directory: URL
    public var keep = 32

    public init(directory: URL) {
        self.directory = directory
    }

    /// `$KINECOLOR_CACHE` (a folder, or `off`), else `$XDG_CACHE_HOME/kinecolor/analysis`, else
    /// `~/.cache/kinecolor/analysis`.
    public static var standard: AnalysisCache? {
        let env = ProcessInfo.processInfo.environment
        if let given = env["KINECOLOR_CACHE"], !given.isEmpty {
            return ["off", "0", "no"].contains(given.lowercased()) ? nil : AnalysisCache(directory: URL(fileURLWithPath: given))
        }
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return AnalysisCache(directory: base.appendingPathComponent("kinecolor/analysis"))
    }

    /// The entry's name for these settings; nil for what is not cached (an image sequence: its
    /// fingerprint covers its first frame only).
    func key(_ url: URL, videoStream: Int?, options: ShotDetector.Options, network: ChromaNetwork?,
             keyframesAtSize size: Int?) throws -> String? {
        guard !ImageSequence.isPattern(url.path) else { return nil }
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        var parts = ["kinecolor-analysis-1", try Project.fingerprint(url), "\(modified)", "\(videoStream ?? -1)",
                     "\(options.minShotLength) \(options.threshold) \(options.minScore) \(options.window)",
                     network.map { "\($0.checksum ?? $0.name) \($0.classNames.count)" } ?? "-", "\(size ?? -1)"]
        if let exe = Bundle.main.executableURL, let a = try? FileManager.default.attributesOfItem(atPath: exe.path) {
            parts.append("\(a[.size] as? Int ?? 0) \((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)")
        }
        return SHA256.hex(of: Data(parts.joined(separator: "\n").utf8))
    }

    private func file(_ key: String) -> URL { directory.appendingPathComponent("\(key).json") }

    func load(_ key: String, video: VideoStreamInfo) -> FilmAnalysis? {
        guard let data = try? Data(contentsOf: file(key)), let entry = try? JSONDecoder().decode(Entry.self, from: data),
              entry.isConsistent else { return nil }
        // Read again, so that the newest entries are the ones used last.
        try? FileManager.default.setAttributes([.modificationDate: Date()], ofItemAtPath: file(key).path)
        return FilmAnalysis(video: video, frameCount: entry.frameCount,
                            shots: zip(entry.starts, entry.starts.dropFirst() + [entry.frameCount]).map { Shot(start: $0, end: $1) },
                            frameTimes: entry.frameTimes, classProbabilities: entry.classProbabilities, warnings: entry.warnings,
                            keyframes: entry.keyframes, setups: entry.setups)
    }

    /// Best effort: a cache that cannot be written only costs the next run its time.
    func store(_ analysis: FilmAnalysis, key: String) {
        let entry = Entry(frameCount: analysis.frameCount, starts: analysis.shots.map(\.start), frameTimes: analysis.frameTimes,
                          classProbabilities: analysis.classProbabilities, warnings: analysis.warnings,
                          keyframes: analysis.keyframes, setups: analysis.setups)
        guard let data = try? JSONEncoder().encode(entry),
              (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil,
              (try? AtomicFile.write(data, to: file(key), overwrite: true)) != nil else { return }
        prune()
    }

    private func prune() {
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: directory.path) else { return }
        let entries = names.filter { $0.hasSuffix(".json") }.map { directory.appendingPathComponent($0) }
        guard entries.count > keep else { return }
        func modified(_ url: URL) -> Date { (try? fm.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast }
        for old in entries.sorted(by: { modified($0) > modified($1) }).dropFirst(keep) { try? fm.removeItem(at: old) }
    }

    private struct Entry: Codable {
        var frameCount: Int
        var starts: [Int]
        var frameTimes: [Double]
        var classProbabilities: [[Float]]?
        var warnings: [String]
        var keyframes: [[Int]]?
        var setups: [Int]

        var isConsistent: Bool {
            frameCount > 0 && frameTimes.count == frameCount && starts.first == 0 && zip(starts, starts.dropFirst()).allSatisfy { $0 < $1 }
                && (starts.last ?? 0) < frameCount && setups.count == starts.count
                && (classProbabilities?.count ?? starts.count) == starts.count && (keyframes?.count ?? starts.count) == starts.count
        }
    }
}
