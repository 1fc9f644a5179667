import KinecolorEngine

/// The whole network: `E` (encoder) and `G` (generator), as in the official `Colorizer`.
final class Colorizer: Module {
    let E: Encoder
    let G: Generator
    /// Kinecolor's optional class estimate (not in the official checkpoint).
    let C: ClassHead?

    init(_ config: ModelConfig) {
        E = Encoder(config)
        G = Generator(config)
        C = config.classHead ? ClassHead(config.encoderChannels[4], config.numClasses) : nil
    }

    /// gray [1, H, W] in [0, 1] → tanh output [3, H, W] in (−1, 1).
    func callAsFunction(_ gray: FeatureMap, classCode e: [Float], z: [Float], config: ModelConfig,
                        observe: (String, FeatureMap) -> Void) -> FeatureMap {
        let f = E(gray, classCode: e, eps: config.bnEps, observe: observe)
        return G(f, classCode: e, z: z, config: config, observe: observe)
    }
}

/// A linear classifier on the encoder's globally averaged output, computed with a zero class code
/// (every class-conditional norm is then a plain BN), so the class can be estimated before it is known.
final class ClassHead: Module {
    let weight: Parameter
    let bias: Parameter

    init(_ features: Int, _ classes: Int) {
        weight = Parameter([classes, features])
        bias = Parameter([classes])
    }

    func callAsFunction(_ features: FeatureMap) -> [Float] {
        let plane = features.height * features.width
        let data = features.tensor.data
        let pooled = (0..<features.channels).map { c in data[(c * plane)..<((c + 1) * plane)].reduce(0, +) / Float(plane) }
        var logits = matvec(weight.value.data, rows: weight.shape[0], cols: weight.shape[1], pooled)
        for i in 0..<logits.count { logits[i] += bias.value.data[i] }
        return logits
    }
}
