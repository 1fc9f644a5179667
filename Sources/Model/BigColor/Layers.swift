import KinecolorEngine

/// `nn.Linear` without bias: weight [out, in].
final class Linear: Module {
    let weight: Parameter
    init(_ inFeatures: Int, _ outFeatures: Int) { weight = Parameter([outFeatures, inFeatures]) }

    func callAsFunction(_ v: [Float]) -> [Float] {
        matvec(weight.value.data, rows: weight.shape[0], cols: weight.shape[1], v)
    }
}

/// `nn.Embedding`: one row per class.
final class Embedding: Module {
    let weight: Parameter
    init(_ count: Int, _ dim: Int) { weight = Parameter([count, dim]) }

    func row(_ i: Int) -> [Float] {
        let d = weight.shape[1]
        return Array(weight.value.data[(i * d)..<((i + 1) * d)])
    }
}

/// `nn.Conv2d` (1×1 or 3×3, stride 1, same padding). Spectral norm, where the original had it,
/// is already folded into the weight by the converter.
final class Conv2d: Module {
    let weight: Parameter
    let bias: Parameter?
    /// Packed forms, built on first use after the weights are in place.
    private lazy var packed3x3 = Conv3x3(weight: weight.value, bias: bias?.value, upsampling: upsamples)
    private lazy var packed1x1 = Conv1x1(weight: weight.value, bias: bias?.value)
    private let upsamples: Bool

    init(_ cin: Int, _ cout: Int, kernel: Int, bias: Bool = true, upsamples: Bool = false) {
        weight = Parameter([cout, cin, kernel, kernel])
        self.bias = bias ? Parameter([cout]) : nil
        self.upsamples = upsamples
    }

    var conv3x3: Conv3x3 { packed3x3 }
    var conv1x1: Conv1x1 { packed1x1 }
    var biasValues: [Float] { bias?.value.data ?? [Float](repeating: 0, count: weight.shape[0]) }
}

/// Class-conditional batch norm in eval mode, used by the encoder ("adabatch", conditioned on the
/// class code e) and by the generator (BigGAN ccbn, conditioned on [e; z chunk]). Both compute
/// γ = 1 + W_gain·y, β = W_bias·y, out = (x − mean)/√(var + eps)·γ + β.
final class ClassConditionalBatchNorm: Module {
    let stored_mean: Parameter
    let stored_var: Parameter
    let gain: Linear
    let bias: Linear

    init(_ channels: Int, conditionDim: Int) {
        stored_mean = Parameter([channels])
        stored_var = Parameter([channels])
        gain = Linear(conditionDim, channels)
        bias = Linear(conditionDim, channels)
    }

    /// The per-channel scale and shift for one conditioning vector: the norm folded for this forward pass.
    func scaleShift(_ y: [Float], eps: Float) -> (scale: [Float], shift: [Float]) {
        let g = gain(y), b = bias(y)
        var scale = [Float](repeating: 0, count: g.count), shift = scale
        for c in 0..<g.count {
            scale[c] = (1 + g[c]) / (stored_var.value.data[c] + eps).squareRoot()
            shift[c] = b[c] - stored_mean.value.data[c] * scale[c]
        }
        return (scale, shift)
    }
}

/// Plain batch norm with learned gain and bias used as is (BigGAN's output layer `bn`).
final class BatchNorm: Module {
    let gain: Parameter
    let bias: Parameter
    let stored_mean: Parameter
    let stored_var: Parameter

    init(_ channels: Int) {
        gain = Parameter([channels])
        bias = Parameter([channels])
        stored_mean = Parameter([channels])
        stored_var = Parameter([channels])
    }

    func scaleShift(eps: Float) -> (scale: [Float], shift: [Float]) {
        let n = gain.shape[0]
        var scale = [Float](repeating: 0, count: n), shift = scale
        for c in 0..<n {
            scale[c] = gain.value.data[c] / (stored_var.value.data[c] + eps).squareRoot()
            shift[c] = bias.value.data[c] - stored_mean.value.data[c] * scale[c]
        }
        return (scale, shift)
    }
}
