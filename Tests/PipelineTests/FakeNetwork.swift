import Foundation
import KinecolorEngine
import KinecolorModel
import KinecolorPipeline

/// A `ChromaNetwork` without weights, for checking what the pipeline promises whatever the model.
/// Every pixel gets one color that depends only on the class and z (hue from the class index,
/// shifted a little by z), so a frame's chroma says which class and z made it. The class head is a
/// rule on a frame's mean gray, set per test; with `inference` it has an auto-class threshold.
final class FakeNetwork: ChromaNetwork {
    let name = "fake"
    let checksum: String? = "fake-network-1"
    let classNames: [String]
    let dimZ = 2
    let inference: InferenceDefaults
    /// Mean gray (0…1) of a frame → class probabilities; nil: no class head.
    let head: ((Float) -> [Float])?
    var calibration: ChromaCalibration?

    init(classNames: [String] = ["general", "portrait", "street", "landscape"],
         inference: InferenceDefaults = InferenceDefaults(size: 64), head: ((Float) -> [Float])? = nil) {
        self.classNames = classNames
        self.inference = inference
        self.head = head
    }

    var hasClassEstimate: Bool { head != nil }

    func classIndex(_ text: String) throws -> Int {
        if let i = Int(text), classNames.indices.contains(i) { return i }
        if let i = classNames.firstIndex(of: text.lowercased()) { return i }
        throw PipelineError("unknown class '\(text)'")
    }

    func classCode(_ index: Int) throws -> [Float] {
        guard classNames.indices.contains(index) else { throw PipelineError("class \(index) out of range") }
        return [Float(index)]
    }

    func colorize(gray: Tensor, classCode: [Float], z: [Float]) throws -> Tensor {
        let h = gray.shape[gray.shape.count - 2], w = gray.shape[gray.shape.count - 1]
        var hue = Double(classCode[0]) / Double(classNames.count) + 0.04 * Double(z[0])
        hue -= hue.rounded(.down)
        let rgb = Self.rgb(hue: hue, saturation: 0.7, value: 0.6)
        return Tensor(shape: [3, h, w], data: rgb.flatMap { [Float](repeating: $0, count: h * w) })
    }

    func classProbabilities(gray: Tensor) throws -> [Float]? {
        head.map { $0(gray.data.reduce(0, +) / Float(max(gray.data.count, 1))) }
    }

    static func rgb(hue: Double, saturation s: Double, value v: Double) -> [Float] {
        let h = hue * 6, i = Int(h) % 6, f = h - h.rounded(.down)
        let p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f))
        let (r, g, b) = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]
        return [Float(r), Float(g), Float(b)]
    }
}
