internal import CKinecolorWeights
import Foundation

/// The model every command uses unless `--model` says otherwise: compiled into the executable
/// (Sources/Weights), so a copied `kinecolor` binary needs no file beside it.
public enum DefaultModel {
    /// The model's name, as its file was named: "kinecolor-default-v3".
    public static var fileName: String {
        String(embeddedFileName.dropLast(".safetensors".count))
    }

    /// The name of the embedded file ("kinecolor-default-v3.safetensors"), used in messages.
    public static let embeddedFileName = String(cString: kinecolor_default_model_file_name())

    /// The embedded model file's bytes, exactly as in git (read in place, not copied).
    public static var embeddedData: Data {
        let bytes = embeddedBytes
        guard let base = bytes.baseAddress, bytes.count > 0 else { return Data() }
        return Data(bytesNoCopy: UnsafeMutableRawPointer(mutating: base), count: bytes.count, deallocator: .none)
    }

    /// The executable's read-only copy of the file; valid for the whole process.
    static var embeddedBytes: UnsafeRawBufferPointer {
        var count = 0
        let base = kinecolor_default_model_bytes(&count)
        return UnsafeRawBufferPointer(start: base, count: count)
    }

    /// Loads the model compiled into the executable, with the same checks as a model file.
    public static func loadEmbedded() throws -> ColorizationModel {
        let bytes = embeddedBytes
        guard bytes.count > 0 else {
            throw ModelError.noEmbeddedModel
        }
        return try ColorizationModel(name: embeddedFileName, staticBytes: bytes)
    }

    /// Loads `path`, or the embedded default model when `path` is nil.
    public static func load(_ path: String?) throws -> ColorizationModel {
        if let path { return try ColorizationModel(contentsOf: URL(fileURLWithPath: path)) }
        return try loadEmbedded()
    }
}
