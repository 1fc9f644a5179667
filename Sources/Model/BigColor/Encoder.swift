import KinecolorEngine

/// `EncoderF_Res` with adabatch norm, ReLU, 1×1 shortcuts and no attention: gray [1, H, W] in
/// [0, 1] → features [C5, H/16, W/16].
final class Encoder: Module {
    let res1, res2, res3, res4, res5: ResConvBlock

    init(_ config: ModelConfig) {
        let c = config.encoderChannels, d = config.sharedDim
        res1 = ResConvBlock(1, c[0], down: false, conditionDim: d)
        res2 = ResConvBlock(c[0], c[1], down: true, conditionDim: d)
        res3 = ResConvBlock(c[1], c[2], down: true, conditionDim: d)
        res4 = ResConvBlock(c[2], c[3], down: true, conditionDim: d)
        res5 = ResConvBlock(c[3], c[4], down: true, conditionDim: d)
    }

    func callAsFunction(_ x: FeatureMap, classCode e: [Float], eps: Float, observe: (String, FeatureMap) -> Void) -> FeatureMap {
        var h = x
        for (name, block) in [("E.res1", res1), ("E.res2", res2), ("E.res3", res3), ("E.res4", res4), ("E.res5", res5)] {
            h = block(h, e, eps: eps)
            observe(name, h)
        }
        return h
    }
}

/// Pre-activation residual block: CBN → ReLU → (pool) → conv_1 → CBN → ReLU → conv_2,
/// plus a shortcut that pools first and then applies the 1×1 `conv`.
final class ResConvBlock: Module {
    let conv: Conv2d
    let conv_1: Conv2d
    let conv_2: Conv2d
    let normalize_1: ClassConditionalBatchNorm
    let normalize_2: ClassConditionalBatchNorm
    let down: Bool

    init(_ cin: Int, _ cout: Int, down: Bool, conditionDim: Int) {
        conv = Conv2d(cin, cout, kernel: 1)
        conv_1 = Conv2d(cin, cout, kernel: 3)
        conv_2 = Conv2d(cout, cout, kernel: 3)
        normalize_1 = ClassConditionalBatchNorm(cin, conditionDim: conditionDim)
        normalize_2 = ClassConditionalBatchNorm(cout, conditionDim: conditionDim)
        self.down = down
    }

    func callAsFunction(_ x: FeatureMap, _ e: [Float], eps: Float) -> FeatureMap {
        let n1 = normalize_1.scaleShift(e, eps: eps)
        let n2 = normalize_2.scaleShift(e, eps: eps)
        let pre = normReLUPadded(x, scale: n1.scale, shift: n1.shift, pool: down)

        // conv_1, with normalize_2 and the ReLU applied on the way out, straight into conv_2's padded input.
        let cout = conv_1.weight.shape[0]
        let mid = FeatureMap(channels: cout, height: pre.height, width: pre.width, padding: 1)
        conv_1.conv3x3(pre, into: mid, Epilogue(scale: n2.scale, shift: n2.shift, relu: true))

        let out = FeatureMap(channels: cout, height: pre.height, width: pre.width)
        conv.conv1x1(down ? averagePool2(x) : x, into: out)
        conv_2.conv3x3(mid, into: out, Epilogue(accumulate: true))
        return out
    }
}
