import Foundation

/// The model every command uses unless `--model` says otherwise: shipped inside the package.
public enum DefaultModel {
    public static let fileName = "kinecolor-default-v2"

    public static var url: URL? {
        Bundle.module.url(forResource: fileName, withExtension: "safetensors")
    }

    /// Loads `path`, or the embedded default model when `path` is nil.
    public static func load(_ path: String?) throws -> ColorizationModel {
        if let path { return try ColorizationModel(contentsOf: URL(fileURLWithPath: path)) }
        guard let url else {
            throw ModelError.noEmbeddedModel
        }
        return try ColorizationModel(contentsOf: url)
    }
}

