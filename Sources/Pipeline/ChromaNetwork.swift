import Foundation
import KinecolorEngine
import KinecolorModel

/// What the pipeline needs from a colorization network, and the only way it reaches one (films,
/// stills, projects and segments alike). `ColorizationModel` is the real one; tests use a small
/// fake, so the film plumbing is checked independently of how chroma is invented.
public protocol ChromaNetwork: AnyObject {
    var name: String { get }
    /// What identifies the weights (a model file's SHA-256), or nil when nothing does: recorded in
    /// project files and part of every segment's name.
    var checksum: String? { get }
    var classNames: [String] { get }
    var dimZ: Int { get }
    var hasClassEstimate: Bool { get }
    /// Resolves "3", "portrait", "tabby cat" to a class index; one-line error otherwise.
    func classIndex(_ text: String) throws -> Int
    func classCode(_ index: Int) throws -> [Float]
    /// gray [h, w] in [0, 1] (multiples of 16) → RGB [3, h, w] in [0, 1].
    func colorize(gray: Tensor, classCode: [Float], z: [Float]) throws -> Tensor
    /// Class probabilities for a gray image, if the network can estimate them.
    func classProbabilities(gray: Tensor) throws -> [Float]?
    /// How the network is meant to be run: network size, saturation, the auto-class rule.
    var inference: InferenceDefaults { get }
    /// The model's map from raw to calibrated a/b, applied before the saturation gain, if it has one.
    var calibration: ChromaCalibration? { get }
}

extension ChromaNetwork {
    public var inference: InferenceDefaults { InferenceDefaults() }
    public var calibration: ChromaCalibration? { nil }

    /// The class `--class auto` gives a shot with these class-head probabilities.
    public func autoClass(_ probabilities: [Float]) -> Int {
        inference.autoClass(probabilities: probabilities, classNames: classNames)
    }
}

extension ColorizationModel: ChromaNetwork {
    public var dimZ: Int { config.dimZ }
    public var hasClassEstimate: Bool { config.classHead }

    public func colorize(gray: Tensor, classCode: [Float], z: [Float]) throws -> Tensor {
        var out = try forward(gray: gray, classCode: classCode, z: z)
        // tanh output to [0, 1], as the official scripts do.
        for i in 0..<out.data.count { out.data[i] = (out.data[i] + 1) * 0.5 }
        return out.reshaped(Array(out.shape.suffix(3)))
    }

    public func classProbabilities(gray: Tensor) throws -> [Float]? {
        try estimateClass(gray: gray)
    }
}

/// A one-line error for the user.
public struct PipelineError: Error, CustomStringConvertible, LocalizedError {
    public let description: String
    public init(_ message: String) { description = message }
    public var errorDescription: String? { description }
}
