import Foundation
import KinecolorEngine
import KinecolorFiles
import KinecolorMedia

/// A shot's look taken from another shot of the film (`"look": {"shot": N}` in a project file,
/// `--look SHOT=FROM`): the shot's network colors are shifted toward the palette of shot N's as
/// they render at its frame to paint, by the same global transfer a palette photo gets
/// (`ChromaMatch.transfer`). For when a scene should share the colors of one that came out right.
///
/// Shot N's colors there: its reference nearest that frame when it has references (or borrows
/// its setup's), else the network's colors of that frame with N's class and z (and N's palette
/// photo, when it has one). A look is not passed on: N's own look does not count, so no chain of
/// looks can loop.
public enum Looks {
    /// Refuses a look from a shot that does not exist, or from the shot itself (1-based in messages).
    static func check(shot: Int, from other: Int, count: Int) throws {
        guard (0..<count).contains(shot) else { throw PipelineError("look for shot \(shot + 1): the film has shots 1…\(count)") }
        guard (0..<count).contains(other) else { throw PipelineError("look of shot \(other + 1) for shot \(shot + 1): the film has shots 1…\(count)") }
        guard shot != other else { throw PipelineError("shot \(shot + 1) cannot take its look from itself") }
    }

    /// `shots` with each `look` turned into the palette it stands for (`ShotSettings.palette`).
    /// Decodes the film up to the last frame to paint it needs.
    public static func resolve(_ shots: [ShotSettings], in url: URL, videoStream: Int?, network: ChromaNetwork,
                        options: ColorizeOptions, progress: (any ProgressObserver)? = nil) throws -> [ShotSettings] {
        let sources = Set(shots.compactMap(\.look))
        guard !sources.isEmpty else { return shots }
        var palettes: [Int: ReferenceImage] = [:]
        var toColor: [Int: Int] = [:]   // frame to paint → source shot
        for j in sources {
            let source = shots[j]
            guard !source.skip else { throw PipelineError("shot \(j + 1) is skipped, so it has no colors to give as a look") }
            let references = source.references.isEmpty ? source.borrowed?.references ?? [] : source.references
            let middle = source.frameToPaint
            if let nearest = references.min(by: { abs($0.frame - middle) < abs($1.frame - middle) }) {
                palettes[j] = nearest.image
            } else {
                toColor[middle] = j
            }
        }
        if let last = toColor.keys.max() {
            let reader = try MediaReader(url: url, videoStream: videoStream)
            defer { reader.close() }
            let colorizer = try FrameColorizer(video: reader.video, size: options.size, saturation: options.saturation)
            while let frame = try reader.nextFrame(), frame.index <= last {
                try stopIfCancelled(progress)
                guard let j = toColor[frame.index] else { continue }
                let source = shots[j]
                var chroma = try colorizer.chroma(luma: colorizer.networkLuma(frame), network: network,
                                                  classCode: try network.classCode(source.classIndex),
                                                  z: source.z(count: network.dimZ))
                if let palette = source.palette { chroma = ChromaMatch.transfer(chroma, toward: colorizer.referenceChroma(palette)) }
                palettes[j] = colorizer.image(chroma, named: "the look of shot \(j + 1)")
            }
            if let missing = toColor.first(where: { palettes[$0.value] == nil }) {
                throw PipelineError("\(url.lastPathComponent): frame \(missing.key + 1) could not be decoded")
            }
        }
        return shots.map { shot in
            var out = shot
            if let j = shot.look { out.palette = palettes[j] }
            return out
        }
    }
}

extension FrameColorizer {
    /// A network-size chroma as an 8-bit RGB picture (its luma as L*), to stand for a palette photo.
    func image(_ chroma: NetworkChroma, named name: String) -> ReferenceImage {
        let n = chroma.width * chroma.height
        let rgb = Self.rgb(chroma)
        var bytes = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<n {
            for c in 0..<3 { bytes[3 * i + c] = UInt8(max(0, min(255, (rgb[c * n + i] * 255).rounded()))) }
        }
        return ReferenceImage(path: name, width: chroma.width, height: chroma.height, rgb: bytes,
                              sha256: SHA256.hex(of: Data(bytes)))
    }
}
