import Foundation

/// The one place that bounds the picture the network sees.
///
/// Memory is what bounds it: the generator's non-local attention holds a (p × p/4) matrix for
/// the p pixels at a quarter of the input size, so it grows with the square of the input's pixel
/// count (the fourth power of its side): 16 MB at 256×256, 1 GB at 512×1024, a terabyte at 4096.
/// So the short side is limited, and the long side is capped too: a film or photo of extreme
/// aspect ratio (4000×16) is seen by the network squeezed to at most `maxAspect`:1 and at most
/// `maxLongSide` pixels, and its chroma is stretched back to the full frame like any other.
public enum NetworkSize {
    /// Network sides are multiples of this (the encoder halves the picture four times).
    public static let unit = 16
    /// The short sides a user, a project or a model file may ask for.
    public static let shortSides: ClosedRange<Int> = 16...512
    /// The long side the network ever sees.
    public static let maxLongSide = 1024
    /// How much wider than tall (or taller than wide) the network input may be.
    public static let maxAspect = 4

    /// The network input for a `height`×`width` picture at short side `shortSide` (already
    /// checked with `SettingError.check(size:)`): BigColor's 'powerof' rule, with the long side capped.
    public static func input(height: Int, width: Int, shortSide: Int) -> (height: Int, width: Int) {
        let s = powerofSize(height: max(1, height), width: max(1, width), target: shortSide, unit: unit)
        let cap = min(maxLongSide, maxAspect * shortSide) / unit * unit
        return width > height ? (s.height, min(s.width, cap)) : (min(s.height, cap), s.width)
    }

    /// Why an explicit H×W network input (`model bench --size`) is refused, or nil.
    public static func problem(height: Int, width: Int) -> String? {
        let short = min(height, width), long = max(height, width)
        guard height % unit == 0, width % unit == 0, short >= unit else {
            return "\(height)x\(width): both sides must be multiples of \(unit), at least \(unit)"
        }
        guard short <= shortSides.upperBound, long <= maxLongSide else {
            return "\(height)x\(width) is larger than the network allows (short side at most \(shortSides.upperBound), long side at most \(maxLongSide): its memory grows with the fourth power of its size)"
        }
        return nil
    }
}

/// The network input size for an H0×W0 image, by the official 'powerof' rule (Docs/bigcolor-architecture.md §8,
/// step 5): the short side becomes `target`, the long side is scaled by the same factor and
/// rounded *up* to a multiple of `unit`. The arithmetic is IEEE double in the official order
/// (target/short, then ×long, then /unit, then ceil), which decides the edge cases:
/// 600×800 → 256×352, 720×1280 → 256×464, 300×375 → 256×320, and a square gives 256×256.
func powerofSize(height: Int, width: Int, target: Int = 256, unit: Int = 16) -> (height: Int, width: Int) {
    precondition(height > 0 && width > 0, "powerofSize: empty image \(height)×\(width)")
    precondition(target > 0 && unit > 0 && target % unit == 0,
                 "powerofSize: target \(target) must be a positive multiple of unit \(unit)")
    let short = min(height, width), long = max(height, width)
    let scaled = Double(target) / Double(short) * Double(long)
    let longSide = unit * Int((scaled / Double(unit)).rounded(.up))
    return width > height ? (target, longSide) : (longSide, target)
}
