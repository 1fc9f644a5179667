import Foundation

/// How a model is meant to be run, carried in its file's `__metadata__["inference"]` (JSON,
/// optional; Docs/model-format.md). A small model trained on small photos works best near its
/// training scale, and a regression-trained one gives muted chroma that a gain restores; the
/// file says so, and every command uses these values unless the user passes its own.
public struct InferenceDefaults: Codable, Equatable, Sendable {
    /// Short side of the network input (`--size`), a multiple of 16.
    public var size: Int = 256
    /// Gain on the network's CIELAB a/b (`--saturation`), within `SettingError.saturationRange`.
    public var saturation: Double = 1
    /// Standard deviation of z (`--z-std`). A network trained to spread its colors over z guesses
    /// best near z = 0; a smaller spread keeps each seed's choice of colors, nearer that guess.
    public var zStd: Double = 0.8
    /// `--class auto` keeps the class head's top class only when its probability reaches this;
    /// otherwise it uses `autoClassFallback`. 0: always the top class.
    public var autoClassMinProbability: Double = 0
    /// The class a doubtful estimate falls back to (a class-agnostic one, e.g. "general").
    public var autoClassFallback: String?

    public init(size: Int = 256, saturation: Double = 1, zStd: Double = 0.8, autoClassMinProbability: Double = 0,
                autoClassFallback: String? = nil) {
        self.size = size
        self.saturation = saturation
        self.zStd = zStd
        self.autoClassMinProbability = autoClassMinProbability
        self.autoClassFallback = autoClassFallback
    }

    enum CodingKeys: String, CodingKey {
        case size, saturation, zStd = "z_std"
        case autoClassMinProbability = "auto_class_min_probability", autoClassFallback = "auto_class_fallback"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        size = try c.decodeIfPresent(Int.self, forKey: .size) ?? 256
        saturation = try c.decodeIfPresent(Double.self, forKey: .saturation) ?? 1
        zStd = try c.decodeIfPresent(Double.self, forKey: .zStd) ?? 0.8
        autoClassMinProbability = try c.decodeIfPresent(Double.self, forKey: .autoClassMinProbability) ?? 0
        autoClassFallback = try c.decodeIfPresent(String.self, forKey: .autoClassFallback)
    }

    /// Checks the values against the model's classes; the message names the field.
    func validate(classNames: [String]) throws {
        do { try SettingError.check(size: size, saturation: saturation, zStd: zStd) } catch {
            throw ModelError.invalidConfig("inference.\(error.field) \(error.problem)")
        }
        guard (0...1).contains(autoClassMinProbability) else {
            throw ModelError.invalidConfig("inference.auto_class_min_probability \(autoClassMinProbability) must be in 0…1")
        }
        if let f = autoClassFallback, !classNames.contains(f) {
            throw ModelError.invalidConfig("inference.auto_class_fallback '\(f)' is not one of the model's classes")
        }
    }

    /// The class `--class auto` picks from the class head's probabilities.
    public func autoClass(probabilities p: [Float], classNames: [String]) -> Int {
        let top = p.indices.max { p[$0] < p[$1] } ?? 0
        guard Double(p[top]) < autoClassMinProbability, let f = autoClassFallback,
              let fallback = classNames.firstIndex(of: f) else { return top }
        return fallback
    }
}
