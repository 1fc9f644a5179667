import Foundation
import KinecolorEngine
import KinecolorFiles

/// A loaded colorization network: configuration, class names and weights, ready to run.
///
/// `forward` is the raw network (BigColor's `Colorizer.forward`): gray in [0, 1] at a size that is
/// a multiple of 16, a class code and z, giving the tanh output. Everything about frames, sizes and
/// color spaces lives in the pipeline, not here.
public final class ColorizationModel {
    public let config: ModelConfig
    public let classNames: [String]
    /// The file's `__metadata__` (empty for a random model).
    public let metadata: [String: String]
    /// SHA-256 of the model file, hex (nil for a random model).
    public let checksum: String?
    /// How the model is meant to be run (`__metadata__["inference"]`; BigColor's values when absent).
    public let inference: InferenceDefaults
    /// The file's chroma calibration (`calibration.ab`), applied to the network's a/b before the
    /// saturation gain; nil when the file has none (the official checkpoint).
    public let calibration: ChromaCalibration?
    let network: Colorizer

    init(config: ModelConfig, classNames: [String], metadata: [String: String], checksum: String?,
         inference: InferenceDefaults = InferenceDefaults(), calibration: ChromaCalibration? = nil,
         network: Colorizer) {
        self.config = config
        self.classNames = classNames
        self.metadata = metadata
        self.checksum = checksum
        self.inference = inference
        self.calibration = calibration
        self.network = network
    }

    public var name: String { metadata["name"] ?? "unnamed" }

    public var parameterCount: Int {
        var n = 0
        network.forEachParameter { _, p in n += p.value.count }
        return n
    }

    /// Loads a model file; every problem (not safetensors, wrong format, missing or extra tensors,
    /// wrong shapes) is a one-line `ModelError` or `SafetensorsError`.
    public convenience init(contentsOf url: URL) throws {
        try self.init(file: try SafetensorsFile(url: url), label: url.lastPathComponent,
                      checksum: { try SHA256.hex(ofFile: url) })
    }

    /// Loads a model file held in memory for the life of the process (the embedded default
    /// model), read in place, with every check `init(contentsOf:)` makes; `name` stands for the
    /// file name in messages.
    convenience init(name: String, staticBytes: UnsafeRawBufferPointer) throws {
        try self.init(file: try SafetensorsFile(name: name, staticBytes: staticBytes), label: name, checksum: {
            guard let base = staticBytes.baseAddress else { return SHA256.hex(of: Data()) }
            return SHA256.hex(of: Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: staticBytes.count,
                                       deallocator: .none))
        })
    }

    /// The checks and the loading shared by both sources; `checksum` runs once everything is valid.
    private convenience init(file: SafetensorsFile, label: String, checksum: () throws -> String) throws {
        guard let configText = file.metadata["config"] else {
            throw ModelError.notAModel("\(label): not a Kinecolor model (no 'config' in the safetensors metadata; convert official checkpoints with python3 -m kinecolor_training.convert_bigcolor, Docs/bigcolor.md)")
        }
        if let format = file.metadata["format"], format != Self.format {
            throw ModelError.notAModel("\(label): metadata 'format' is '\(format)'; this kinecolor reads '\(Self.format)'")
        }
        if let version = file.metadata["architecture_version"], version != Self.architectureVersion {
            throw ModelError.notAModel("\(label): metadata 'architecture_version' is '\(version)'; this kinecolor reads \(Self.architectureVersion)")
        }
        let config: ModelConfig
        do {
            config = try Self.decodeStrictly(ModelConfig.self, configText)
        } catch {
            throw ModelError.notAModel("\(label): metadata 'config' is not a valid model config (\(Self.describe(error)))")
        }
        do { try config.validate() } catch let e as ModelError { throw ModelError.notAModel("\(label): \(e)") }

        var names = (0..<config.numClasses).map { "class\($0)" }
        if let text = file.metadata["class_names"] {
            guard let list = try? Self.decodeStrictly([String].self, text), list.count == config.numClasses else {
                throw ModelError.notAModel("\(label): metadata 'class_names' must be a JSON list of \(config.numClasses) strings")
            }
            names = list
        }
        var inference = InferenceDefaults()
        if let text = file.metadata["inference"] {
            do {
                inference = try Self.decodeStrictly(InferenceDefaults.self, text)
            } catch {
                throw ModelError.notAModel("\(label): metadata 'inference' is not valid (\(Self.describe(error)))")
            }
            do { try inference.validate(classNames: names) } catch let e as ModelError { throw ModelError.notAModel("\(label): \(e)") }
        }

        // Every key and shape is checked against the file before any weight is read, so a header
        // that claims more than the file holds fails here, not in an allocation.
        let network = Colorizer(config)
        var seen = Set<String>()
        try network.forEachParameter { key, p in
            guard let info = file.info(key) else { throw ModelError.missingKey(key, file: label) }
            guard info.shape == p.shape else { throw ModelError.shapeMismatch(key, expected: p.shape, found: info.shape, file: label) }
            seen.insert(key)
        }
        let calibration = try Self.calibration(in: file, label: label)
        if calibration != nil { seen.insert(ChromaCalibration.tensorKey) }
        if let extra = file.names.first(where: { !seen.contains($0) }) {
            throw ModelError.unexpectedKey(extra, file: label)
        }
        try network.forEachParameter { key, p in
            let t = try file.tensor(key)
            guard t.data.allSatisfy({ $0.isFinite }) else {
                throw ModelError.notAModel("\(label): tensor '\(key)' holds NaN or infinite values (a damaged model file)")
            }
            p.value = t
        }
        // A project records the checksum to notice a changed model: a file that cannot be read
        // again is an error, not a model without a checksum.
        let sum: String
        do { sum = try checksum() } catch {
            throw ModelError.notAModel("\(label): cannot read it to compute its checksum (\(AtomicFile.reason(error)))")
        }
        self.init(config: config, classNames: names, metadata: file.metadata,
                  checksum: sum, inference: inference, calibration: calibration, network: network)
    }

    /// The file's chroma calibration: the tensor and the metadata that gives its a/b range come
    /// together or not at all.
    private static func calibration(in file: SafetensorsFile, label: String) throws -> ChromaCalibration? {
        let text = file.metadata["calibration"]
        guard let info = file.info(ChromaCalibration.tensorKey) else {
            if text != nil { throw ModelError.notAModel("\(label): metadata 'calibration' without tensor '\(ChromaCalibration.tensorKey)'") }
            return nil
        }
        struct Header: Decodable { let ab_range: Double }
        guard let text, let header = try? JSONDecoder().decode(Header.self, from: Data(text.utf8)) else {
            throw ModelError.notAModel("\(label): tensor '\(ChromaCalibration.tensorKey)' needs metadata 'calibration' with a numeric ab_range")
        }
        // the shape is checked before the tensor is read, as for the weights
        guard info.shape.count == 4, info.shape.reduce(1, *) <= ChromaCalibration.maxBands * ChromaCalibration.maxNodes * ChromaCalibration.maxNodes * 2 else {
            throw ModelError.notAModel("\(label): tensor '\(ChromaCalibration.tensorKey)' has shape \(info.shape), expected [bands, nodes, nodes, 2]")
        }
        do {
            return try ChromaCalibration(shape: info.shape, values: try file.tensor(ChromaCalibration.tensorKey).data,
                                         range: header.ab_range)
        } catch let e as ModelError {
            throw ModelError.notAModel("\(label): \(e)")
        }
    }

    /// A model of the given shape with random weights (for benchmarks and plumbing tests).
    /// Weights are scaled so activations stay in a sane range, as in a trained network.
    public static func random(_ config: ModelConfig, seed: UInt64 = 0) -> ColorizationModel {
        let network = Colorizer(config)
        var rng = PortableRandom(seed: seed)
        network.forEachParameter { key, p in
            let n = p.shape.reduce(1, *)
            let fanIn = p.shape.count > 1 ? p.shape.dropFirst().reduce(1, *) : 1
            func uniform(_ lo: Double, _ hi: Double) -> [Float] { (0..<n).map { _ in Float(lo + (hi - lo) * rng.uniform()) } }
            let data: [Float]
            if key.hasSuffix("stored_var") { data = uniform(0.5, 1.5) }
            else if key.hasSuffix("stored_mean") { data = uniform(-0.2, 0.2) }
            else if key.hasSuffix("gain.weight") || key.hasSuffix("bias.weight") { data = uniform(-0.05, 0.05) }
            else if key.hasSuffix("output_layer.0.gain") { data = uniform(0.8, 1.2) }
            else if key.hasSuffix("gamma") { data = [0.2] }
            else if key.hasSuffix(".bias") || p.shape.count == 1 { data = uniform(-0.05, 0.05) }
            else if key == "G.shared.weight" { data = uniform(-1, 1) }
            else { let a = (3.0 / Double(fanIn)).squareRoot(); data = uniform(-a, a) }
            p.value = Tensor(shape: p.shape, data: data)
        }
        let names = (0..<config.numClasses).map { "class\($0)" }
        return ColorizationModel(config: config, classNames: names, metadata: ["name": "random"], checksum: nil, network: network)
    }

    /// Writes the model as a Kinecolor model file (weights, config, class names), atomically.
    public func write(to url: URL) throws {
        var tensors: [(String, Tensor)] = []
        network.forEachParameter { key, p in tensors.append((key, p.value)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var meta = metadata
        meta["config"] = String(decoding: try encoder.encode(config), as: UTF8.self)
        meta["class_names"] = String(decoding: try encoder.encode(classNames), as: UTF8.self)
        meta["format"] = Self.format
        meta["architecture_version"] = Self.architectureVersion
        try SafetensorsWriter.write(tensors, metadata: meta, to: url)
    }

    /// The 128-d (shared_dim) class code of class `index`, i.e. `G.shared.weight[index]`.
    public func classCode(_ index: Int) throws -> [Float] {
        guard (0..<config.numClasses).contains(index) else { throw ModelError.classOutOfRange(index, count: config.numClasses) }
        return network.G.shared.row(index)
    }

    /// Resolves a user's class argument: an index or a class name (case-insensitive; also matches
    /// any of the comma-separated synonyms of an ImageNet name).
    public func classIndex(_ text: String) throws -> Int {
        let t = text.trimmingCharacters(in: .whitespaces)
        if let i = Int(t) {
            guard (0..<config.numClasses).contains(i) else { throw ModelError.classOutOfRange(i, count: config.numClasses) }
            return i
        }
        let key = t.lowercased()
        if let i = classNames.firstIndex(where: { $0.lowercased() == key }) { return i }
        if let i = classNames.firstIndex(where: { $0.lowercased().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.contains(key) }) { return i }
        throw ModelError.unknownClass(t)
    }

    /// The raw network. `gray` is [H, W] (any leading 1s allowed) in [0, 1], H and W multiples of 16;
    /// `classCode` has `sharedDim` values and `z` has `dimZ`. Returns [1, 3, H, W] in (−1, 1).
    /// `observe` sees every block's output by its checkpoint name (tests, profiling).
    public func forward(gray: Tensor, classCode: [Float], z: [Float],
                        observe: ((String, FeatureMap) -> Void)? = nil) throws -> Tensor {
        try forwardMap(gray: gray, classCode: classCode, z: z, observe: observe).tensor
    }

    public func forwardMap(gray: Tensor, classCode: [Float], z: [Float],
                           observe: ((String, FeatureMap) -> Void)? = nil) throws -> FeatureMap {
        let s = gray.shape
        guard s.count >= 2, s.dropLast(2).allSatisfy({ $0 == 1 }) else {
            throw ModelError.notAModel("gray input must be [H, W] or [1, 1, H, W], got \(gray.shapeDescription)")
        }
        let h = s[s.count - 2], w = s[s.count - 1]
        try checkInputSize(height: h, width: w)
        guard classCode.count == config.sharedDim else { throw ModelError.notAModel("class code has \(classCode.count) values; this model takes \(config.sharedDim)") }
        guard z.count == config.dimZ else { throw ModelError.zLength(z.count, expected: config.dimZ) }
        let x = FeatureMap(gray.reshaped([1, h, w]))
        return network(x, classCode: classCode, z: z, config: config, observe: observe ?? { _, _ in })
    }

    /// Class probabilities from the model's own class head, or nil if the model has none.
    /// `gray` as for `forward`.
    public func estimateClass(gray: Tensor) throws -> [Float]? {
        guard let head = network.C else { return nil }
        let s = gray.shape
        guard s.count >= 2 else { throw ModelError.notAModel("gray input must be [H, W], got \(gray.shapeDescription)") }
        let h = s[s.count - 2], w = s[s.count - 1]
        try checkInputSize(height: h, width: w)
        let zero = [Float](repeating: 0, count: config.sharedDim)
        let features = network.E(FeatureMap(gray.reshaped([1, h, w])), classCode: zero, eps: config.bnEps) { _, _ in }
        let logits = head(features)
        let m = logits.max() ?? 0
        let e = logits.map { expf($0 - m) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }

    /// Refuses an input the network cannot take or this machine cannot hold, before any buffer
    /// is sized from it.
    func checkInputSize(height h: Int, width w: Int) throws {
        guard h >= 16, w >= 16, h % 16 == 0, w % 16 == 0 else { throw ModelError.inputSize(height: h, width: w) }
        if let why = NetworkSize.problem(height: h, width: w) { throw ModelError.notAModel("network input \(why)") }
        let needed = config.estimatedPeakBytes(height: h, width: w)
        if let available = availableMemoryBytes(), needed > available {
            throw ModelError.notEnoughMemory(height: h, width: w, neededBytes: needed, availableBytes: available)
        }
    }

    /// The `format` and `architecture_version` metadata this engine runs (Docs/model-format.md).
    public static let format = "kinecolor.bigcolor"
    public static let architectureVersion = "1"

    /// Metadata JSON goes through the strict parser first: it rejects duplicate keys (which
    /// Foundation's decoder does not handle) and says where the text is broken.
    static func decodeStrictly<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try StrictJSON.decode(type, from: Array(text.utf8))
    }

    static func describe(_ error: Error) -> String {
        (error as? JSONProblem)?.description ?? "\(error)"
    }
}
