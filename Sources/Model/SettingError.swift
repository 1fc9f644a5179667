import Foundation

/// A colorization setting outside the values Kinecolor accepts.
///
/// `check` is the one place these ranges are enforced: the command line (`--size`), project
/// files (`defaults.size`), model files (`inference.size`) and the renderer all call it, and each
/// puts its own name for the setting in front of `problem`.
public enum SettingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A network short side that is not a multiple of `NetworkSize.unit` in `NetworkSize.shortSides`.
    case size(Int)
    /// A gain on the network's a/b outside `saturationRange`.
    case saturation(Double)
    /// A spread of z outside `zStdRange`.
    case zStd(Double)
    /// A temporal smoothing radius outside `smoothingRange`.
    case smoothing(Int)

    /// The gains accepted: 0 is gray, 4 already clips most colors.
    public static let saturationRange: ClosedRange<Double> = 0...4
    /// Spreads of z: 0 is the mean code, beyond 4 the network is far outside anything it was
    /// trained on.
    public static let zStdRange: ClosedRange<Double> = 0...4
    /// Smoothing radii in frames: the window holds 2r+1 frames in memory.
    public static let smoothingRange: ClosedRange<Int> = 0...25

    /// Throws for the first given value out of range (NaN is out of every range).
    public static func check(size: Int? = nil, saturation: Double? = nil, zStd: Double? = nil,
                             smoothing: Int? = nil) throws(SettingError) {
        if let size, !NetworkSize.shortSides.contains(size) || size % NetworkSize.unit != 0 { throw .size(size) }
        if let saturation, !saturationRange.contains(saturation) { throw .saturation(saturation) }
        if let zStd, !zStdRange.contains(zStd) { throw .zStd(zStd) }
        if let smoothing, !smoothingRange.contains(smoothing) { throw .smoothing(smoothing) }
    }

    /// The setting as files spell it: `size`, `saturation`, `z_std`, `smooth`.
    public var field: String {
        switch self {
        case .size: return "size"
        case .saturation: return "saturation"
        case .zStd: return "z_std"
        case .smoothing: return "smooth"
        }
    }

    /// What is wrong, to follow the setting's name: "24 is not a multiple of 16 in 16…512 (…)".
    public var problem: String {
        switch self {
        case .size(let n):
            let sides = NetworkSize.shortSides
            return "\(n) is not a multiple of \(NetworkSize.unit) in \(sides.lowerBound)…\(sides.upperBound) (the network's memory grows with the fourth power of its size)"
        case .saturation(let x): return "\(x) must be in \(Self.text(Self.saturationRange))"
        case .zStd(let x): return "\(x) must be in \(Self.text(Self.zStdRange))"
        case .smoothing(let n): return "\(n) must be in \(Self.smoothingRange.lowerBound)…\(Self.smoothingRange.upperBound)"
        }
    }

    public var description: String {
        switch self {
        case .size: return "network size \(problem)"
        case .saturation: return "saturation \(problem)"
        case .zStd: return "z_std \(problem)"
        case .smoothing: return "smoothing radius \(problem)"
        }
    }

    private static func text(_ range: ClosedRange<Double>) -> String {
        String(format: "%g…%g", range.lowerBound, range.upperBound)
    }
}
