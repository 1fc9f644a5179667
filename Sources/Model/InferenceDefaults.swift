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
    /// Thresholds of their own for some top classes, by name. A class whose own color is very
    /// unlike what "general" paints (water under `sport`) pays to keep at a lower probability.
    public var autoClassMinProbabilityByClass: [String: Double] = [:]

    public init(size: Int = 256, saturation: Double = 1, zStd: Double = 0.8, autoClassMinProbability: Double = 0,
                autoClassFallback: String? = nil, autoClassMinProbabilityByClass: [String: Double] = [:]) {
        self.size = size
        self.saturation = saturation
        self.zStd = zStd
        self.autoClassMinProbability = autoClassMinProbability
        self.autoClassFallback = autoClassFallback
        self.autoClassMinProbabilityByClass = autoClassMinProbabilityByClass
    }

    enum CodingKeys: String, CodingKey {
        case size, saturation, zStd = "z_std"
        case autoClassMinProbability = "auto_class_min_probability", autoClassFallback = "auto_class_fallback"
        case autoClassMinProbabilityByClass = "auto_class_min_probability_by_class"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        size = try c.decodeIfPresent(Int.self, forKey: .size) ?? 256
        saturation = try c.decodeIfPresent(Double.self, forKey: .saturation) ?? 1
        zStd = try c.decodeIfPresent(Double.self, forKey: .zStd) ?? 0.8
        autoClassMinProbability = try c.decodeIfPresent(Double.self, forKey: .autoClassMinProbability) ?? 0
        autoClassFallback = try c.decodeIfPresent(String.self, forKey: .autoClassFallback)
        autoClassMinProbabilityByClass = try c.decodeIfPresent([String: Double].self,
                                                               forKey: .autoClassMinProbabilityByClass) ?? [:]
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
        for (name, p) in autoClassMinProbabilityByClass.sorted(by: { $0.key < $1.key }) {
            let field = "inference.auto_class_min_probability_by_class"
            guard classNames.contains(name) else {
                throw ModelError.invalidConfig("\(field): '\(name)' is not one of the model's classes")
            }
            guard (0...1).contains(p) else { throw ModelError.invalidConfig("\(field): \(name) \(p) must be in 0…1") }
        }
    }

    /// The class `--class auto` picks from the class head's probabilities.
    public func autoClass(probabilities p: [Float], classNames: [String]) -> Int {
        let top = p.indices.max { p[$0] < p[$1] } ?? 0
        let threshold = classNames.indices.contains(top)
            ? autoClassMinProbabilityByClass[classNames[top]] ?? autoClassMinProbability : autoClassMinProbability
        guard Double(p[top]) < threshold, let f = autoClassFallback,
              let fallback = classNames.firstIndex(of: f) else { return top }
        return fallback
    }
}
