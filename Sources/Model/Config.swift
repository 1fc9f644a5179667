import Foundation

/// The network configuration carried in a model file's `__metadata__["config"]`
/// (see Docs/model-format.md). One type describes both the official BigColor network and our
/// narrower default model; the engine runs both through the same code.
public struct ModelConfig: Codable, Equatable, Sendable {
    /// Output widths of E.res1 … E.res5.
    public var encoderChannels: [Int]
    /// Input width of the first generator block that runs, then the output width of each of the four.
    public var generatorChannels: [Int]
    /// Index of the first generator block that runs (2 in BigColor: blocks 0/1 only exist in BigGAN).
    public var generatorFirstBlock: Int
    /// Block index after which the non-local attention runs.
    public var attentionBlock: Int
    public var sharedDim: Int
    public var numClasses: Int
    public var dimZ: Int
    public var zChunk: Int
    public var bnEps: Float
    /// The model carries `C`, a class estimate from the encoder (Docs/model-format.md).
    public var classHead: Bool

    enum CodingKeys: String, CodingKey {
        case encoderChannels = "encoder_channels", generatorChannels = "generator_channels"
        case generatorFirstBlock = "generator_first_block", attentionBlock = "attention_block"
        case sharedDim = "shared_dim", numClasses = "num_classes", dimZ = "dim_z", zChunk = "z_chunk"
        case bnEps = "bn_eps", classHead = "class_head"
    }

    public init(encoderChannels: [Int], generatorChannels: [Int], generatorFirstBlock: Int, attentionBlock: Int,
                sharedDim: Int, numClasses: Int, dimZ: Int, zChunk: Int, bnEps: Float = 1e-5, classHead: Bool = false) {
        self.encoderChannels = encoderChannels
        self.generatorChannels = generatorChannels
        self.generatorFirstBlock = generatorFirstBlock
        self.attentionBlock = attentionBlock
        self.sharedDim = sharedDim
        self.numClasses = numClasses
        self.dimZ = dimZ
        self.zChunk = zChunk
        self.bnEps = bnEps
        self.classHead = classHead
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        encoderChannels = try c.decode([Int].self, forKey: .encoderChannels)
        generatorChannels = try c.decode([Int].self, forKey: .generatorChannels)
        generatorFirstBlock = try c.decode(Int.self, forKey: .generatorFirstBlock)
        attentionBlock = try c.decode(Int.self, forKey: .attentionBlock)
        sharedDim = try c.decode(Int.self, forKey: .sharedDim)
        numClasses = try c.decode(Int.self, forKey: .numClasses)
        dimZ = try c.decode(Int.self, forKey: .dimZ)
        zChunk = try c.decode(Int.self, forKey: .zChunk)
        bnEps = try c.decodeIfPresent(Float.self, forKey: .bnEps) ?? 1e-5
        classHead = try c.decodeIfPresent(Bool.self, forKey: .classHead) ?? false
    }

    /// The released BigColor network (Docs/bigcolor-architecture.md §1).
    public static let bigcolor = ModelConfig(
        encoderChannels: [96, 192, 384, 768, 768], generatorChannels: [768, 768, 384, 192, 96],
        generatorFirstBlock: 2, attentionBlock: 3, sharedDim: 128, numClasses: 1000, dimZ: 119, zChunk: 17)

    /// Indices of the generator blocks that run.
    public var generatorBlocks: Range<Int> { generatorFirstBlock..<(generatorFirstBlock + 4) }

    /// The slice of z that conditions generator block `i`.
    public func zRange(block i: Int) -> Range<Int> { (zChunk * (i + 1))..<(zChunk * (i + 2)) }

    /// Upper bounds on every number, far above any real network (BigColor: widths 768, 1000
    /// classes, shared_dim 128, dim_z 119), so that nothing is sized or multiplied from a
    /// corrupt header before the tensors in the file have confirmed it.
    public static let limits = (channels: 4096, classes: 100_000, sharedDim: 4096, dimZ: 4096, firstBlock: 16)

    public func validate() throws {
        func fail(_ why: String) -> ModelError { .invalidConfig(why) }
        let l = Self.limits
        guard (encoderChannels + generatorChannels).allSatisfy({ (1...l.channels).contains($0) }) else {
            throw fail("channel widths must be in 1…\(l.channels)")
        }
        guard (1...l.classes).contains(numClasses) else { throw fail("num_classes \(numClasses) must be in 1…\(l.classes)") }
        guard (1...l.sharedDim).contains(sharedDim) else { throw fail("shared_dim \(sharedDim) must be in 1…\(l.sharedDim)") }
        guard (1...l.dimZ).contains(dimZ) else { throw fail("dim_z \(dimZ) must be in 1…\(l.dimZ)") }
        guard (1...l.dimZ).contains(zChunk) else { throw fail("z_chunk \(zChunk) must be in 1…\(l.dimZ)") }
        guard (0...l.firstBlock).contains(generatorFirstBlock) else {
            throw fail("generator_first_block \(generatorFirstBlock) must be in 0…\(l.firstBlock)")
        }
        guard bnEps.isFinite else { throw fail("bn_eps must be finite") }
        guard encoderChannels.count == 5 else { throw fail("encoder_channels needs 5 widths, has \(encoderChannels.count)") }
        guard generatorChannels.count == 5 else { throw fail("generator_channels needs 5 widths, has \(generatorChannels.count)") }
        guard encoderChannels[4] == generatorChannels[0] else {
            throw fail("encoder output width \(encoderChannels[4]) differs from generator input width \(generatorChannels[0])")
        }
        guard generatorBlocks.contains(attentionBlock) else { throw fail("attention_block \(attentionBlock) is not one of the blocks that run \(generatorBlocks)") }
        let attn = generatorChannels[attentionBlock - generatorFirstBlock + 1]
        guard attn % 8 == 0 else { throw fail("attention width \(attn) must be a multiple of 8") }
        guard sharedDim > 0, numClasses > 0, zChunk > 0, generatorFirstBlock >= 0 else { throw fail("shared_dim, num_classes and z_chunk must be positive") }
        guard dimZ >= zChunk * (generatorFirstBlock + 5) else {
            throw fail("dim_z \(dimZ) is smaller than z_chunk·(generator_first_block+5) = \(zChunk * (generatorFirstBlock + 5))")
        }
        guard bnEps > 0 else { throw fail("bn_eps must be positive") }
    }

    /// A generous estimate of the forward pass's peak working memory for an H×W input: the
    /// attention matrix (p × p/4 floats for the p pixels at the attention block) and a few copies
    /// of the widest feature map (input, output, the convolution's bands and shortcut).
    public func estimatedPeakBytes(height h: Int, width w: Int) -> Int {
        let factor = 16 >> min(4, attentionBlock - generatorFirstBlock + 1)
        let p = (h / factor) * (w / factor)
        let attention = 4 * p * (p / 4)
        var widest = 0, pixels = h * w
        for c in encoderChannels { widest = max(widest, c * pixels); pixels /= 4 }
        pixels = (h / 16) * (w / 16)
        for c in generatorChannels.dropFirst() { pixels *= 4; widest = max(widest, c * pixels) }
        return attention + 4 * 6 * widest
    }

    /// FLOPs (2 × multiply-adds) of each stage for an H×W input, counted as Docs/bigcolor-architecture.md §9 counts them:
    /// as the plain convolutions, whatever shortcut the engine takes. Names are those `forward`
    /// reports to its observer (`G.blocks.3.0` is the block, `G.blocks.3.1` the attention after it).
    public func flops(height h: Int, width w: Int) -> [(name: String, flops: Double)] {
        var result: [(String, Double)] = []
        var cin = 1, p = Double(h * w)
        for (k, cout) in encoderChannels.enumerated() {
            if k > 0 { p /= 4 }
            let f = 2 * p * Double(9 * cin * cout + 9 * cout * cout + cin * cout)
            result.append(("E.res\(k + 1)", f))
            cin = cout
        }
        for (j, i) in generatorBlocks.enumerated() {
            p *= 4
            let ci = Double(generatorChannels[j]), co = Double(generatorChannels[j + 1])
            let name = i == attentionBlock ? "G.blocks.\(i).0" : "G.blocks.\(i)"
            result.append((name, 2 * p * (9 * ci * co + 9 * co * co + ci * co)))
            if i == attentionBlock {
                let c = co
                let convs = 2 * p * c * (c / 8 + c / 8 + c / 2) + 2 * p * (c / 2) * c
                let mats = 2 * p * (p / 4) * (c / 8) + 2 * p * (p / 4) * (c / 2)
                result.append(("G.blocks.\(i).1", convs + mats))
            }
        }
        result.append(("out", 2 * p * 9 * Double(generatorChannels[4]) * 3))
        return result
    }
}

public enum ModelError: Error, CustomStringConvertible, Equatable {
    case invalidConfig(String)
    case notAModel(String)
    case missingKey(String, file: String)
    case unexpectedKey(String, file: String)
    case shapeMismatch(String, expected: [Int], found: [Int], file: String)
    case classOutOfRange(Int, count: Int)
    case unknownClass(String)
    case zLength(Int, expected: Int)
    case inputSize(height: Int, width: Int)
    /// This machine has too little memory for a network input of this size.
    case notEnoughMemory(height: Int, width: Int, neededBytes: Int, availableBytes: Int)
    /// No model was named and this build has no embedded one.
    case noEmbeddedModel

    public var description: String {
        switch self {
        case .invalidConfig(let why): return "invalid model config: \(why)"
        case .notAModel(let why): return why
        case let .missingKey(key, file): return "\(file): missing tensor '\(key)'"
        case let .unexpectedKey(key, file): return "\(file): unexpected tensor '\(key)' (not part of this architecture)"
        case let .shapeMismatch(key, expected, found, file):
            return "\(file): tensor '\(key)' has shape \(found), expected \(expected)"
        case let .classOutOfRange(c, count): return "class \(c) is out of range: this model has classes 0…\(count - 1)"
        case .unknownClass(let name): return "unknown class '\(name)': give a class index or one of the model's class names (see `kinecolor model info`)"
        case let .zLength(n, expected): return "z has \(n) values; this model takes \(expected)"
        case let .inputSize(h, w): return "input is \(h)×\(w); the network needs both sides to be multiples of 16 and at least 16"
        case let .notEnoughMemory(h, w, needed, available):
            return String(format: "a %d×%d network input needs about %.1f GB of memory and %.1f GB is available; use a smaller network size",
                          h, w, Double(needed) / 1e9, Double(available) / 1e9)
        case .noEmbeddedModel: return "the embedded default model is missing from this build; name a model file"
        }
    }
}
