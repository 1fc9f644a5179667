import KinecolorEngine

/// The part of BigGAN's generator that BigColor runs: blocks `first…first+3` on the encoder's
/// features, the non-local attention after `attentionBlock`, and the output layer.
final class Generator: Module {
    let shared: Embedding
    let blocks: [GeneratorStage]
    let output_layer: OutputLayer
    let firstBlock: Int

    init(_ config: ModelConfig) {
        shared = Embedding(config.numClasses, config.sharedDim)
        let widths = config.generatorChannels
        let conditionDim = config.sharedDim + config.zChunk
        blocks = config.generatorBlocks.enumerated().map { j, i in
            GeneratorStage(GBlock(widths[j], widths[j + 1], conditionDim: conditionDim),
                           attention: i == config.attentionBlock ? Attention(widths[j + 1]) : nil)
        }
        output_layer = OutputLayer(widths[4])
        firstBlock = config.generatorFirstBlock
    }

    /// `G.blocks.{i}` keeps the original block index (the converted file has no blocks 0 and 1).
    var namedChildren: [(String, Any)] {
        var children: [(String, Any)] = [("shared", shared)]
        for (j, stage) in blocks.enumerated() { children.append(("blocks.\(firstBlock + j)", stage)) }
        children.append(("output_layer", output_layer))
        return children
    }

    func callAsFunction(_ f: FeatureMap, classCode e: [Float], z: [Float], config: ModelConfig,
                        observe: (String, FeatureMap) -> Void) -> FeatureMap {
        var h = f
        for (j, stage) in blocks.enumerated() {
            let i = firstBlock + j
            let y = e + z[config.zRange(block: i)]
            h = stage.block(h, y, eps: config.bnEps)
            if let attention = stage.attention {
                observe("G.blocks.\(i).0", h)
                h = attention(h)
                observe("G.blocks.\(i).1", h)
            } else {
                observe("G.blocks.\(i)", h)
            }
        }
        let out = output_layer(h, eps: config.bnEps)
        observe("out", out)
        return out
    }
}

/// `G.blocks.{i}`: a ModuleList holding the GBlock at `0` and, after one block, the attention at `1`.
final class GeneratorStage: Module {
    let block: GBlock
    let attention: Attention?

    init(_ block: GBlock, attention: Attention?) {
        self.block = block
        self.attention = attention
    }

    var namedChildren: [(String, Any)] {
        var children: [(String, Any)] = [("0", block)]
        if let attention { children.append(("1", attention)) }
        return children
    }
}

/// BigGAN's up-block: ccbn → ReLU → upsample → conv1 → ccbn → ReLU → conv2, plus
/// upsample → 1×1 conv_sc on the raw input.
final class GBlock: Module {
    let conv1: Conv2d
    let conv2: Conv2d
    let conv_sc: Conv2d
    let bn1: ClassConditionalBatchNorm
    let bn2: ClassConditionalBatchNorm

    init(_ cin: Int, _ cout: Int, conditionDim: Int) {
        conv1 = Conv2d(cin, cout, kernel: 3, upsamples: true)
        conv2 = Conv2d(cout, cout, kernel: 3)
        conv_sc = Conv2d(cin, cout, kernel: 1)
        bn1 = ClassConditionalBatchNorm(cin, conditionDim: conditionDim)
        bn2 = ClassConditionalBatchNorm(cout, conditionDim: conditionDim)
    }

    func callAsFunction(_ x: FeatureMap, _ y: [Float], eps: Float) -> FeatureMap {
        let n1 = bn1.scaleShift(y, eps: eps)
        let n2 = bn2.scaleShift(y, eps: eps)
        let pre = normReLUPadded(x, scale: n1.scale, shift: n1.shift)

        // Upsample + conv1 as four 2×2 phase convolutions on the low-resolution map (Docs/bigcolor-architecture.md §9).
        let cout = conv1.weight.shape[0]
        let mid = FeatureMap(channels: cout, height: 2 * x.height, width: 2 * x.width, padding: 1)
        conv1.conv3x3.upsampleThenConv(pre, into: mid, Epilogue(scale: n2.scale, shift: n2.shift, relu: true))

        // The 1×1 shortcut commutes with nearest upsampling: apply it at low resolution (exact, 4× cheaper).
        let out = upsampleNearest2(conv_sc.conv1x1.product(x), bias: conv_sc.biasValues)
        conv2.conv3x3(mid, into: out, Epilogue(accumulate: true))
        return out
    }
}

/// BigGAN's non-local block (`G.blocks.{a}.1`): SN 1×1 convs without bias and a 0-d `gamma`.
final class Attention: Module {
    let gamma: Parameter
    let theta: Conv2d
    let phi: Conv2d
    let g: Conv2d
    let o: Conv2d

    init(_ c: Int) {
        gamma = Parameter([])
        theta = Conv2d(c, c / 8, kernel: 1, bias: false)
        phi = Conv2d(c, c / 8, kernel: 1, bias: false)
        g = Conv2d(c, c / 2, kernel: 1, bias: false)
        o = Conv2d(c / 2, c, kernel: 1, bias: false)
    }

    func callAsFunction(_ x: FeatureMap) -> FeatureMap {
        nonLocalAttention(x, theta: theta.conv1x1, phi: phi.conv1x1, g: g.conv1x1, o: o.conv1x1, gamma: gamma.scalar)
    }
}

/// `G.output_layer`: Sequential(bn, ReLU, conv) followed by tanh.
final class OutputLayer: Module {
    let bn: BatchNorm
    let conv: Conv2d

    init(_ channels: Int) {
        bn = BatchNorm(channels)
        conv = Conv2d(channels, 3, kernel: 3)
    }

    var namedChildren: [(String, Any)] { [("0", bn), ("2", conv)] }

    func callAsFunction(_ x: FeatureMap, eps: Float) -> FeatureMap {
        let n = bn.scaleShift(eps: eps)
        let pre = normReLUPadded(x, scale: n.scale, shift: n.shift)
        let out = FeatureMap(channels: 3, height: x.height, width: x.width)
        conv.conv3x3(pre, into: out, .plain)
        tanhInPlace(out)
        return out
    }
}
