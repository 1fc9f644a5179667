import KinecolorEngine

/// The whole network: `E` (encoder) and `G` (generator), as in the official `Colorizer`.
final class Colorizer: Module {
    let E: Encoder
    let G: Generator

    init(_ config: ModelConfig) {
        E = Encoder(config)
        G = Generator(config)
    }

    /// gray [1, H, W] in [0, 1] → tanh output [3, H, W] in (−1, 1).
    func callAsFunction(_ gray: FeatureMap, classCode e: [Float], z: [Float], config: ModelConfig,
                        observe: (String, FeatureMap) -> Void) -> FeatureMap {
        let f = E(gray, classCode: e, eps: config.bnEps, observe: observe)
        return G(f, classCode: e, z: z, config: config, observe: observe)
    }
}
