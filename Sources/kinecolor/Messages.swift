import Foundation
import KinecolorFiles
import KinecolorMedia
import KinecolorModel
import KinecolorPipeline

/// The command's words for the library's typed errors: the library says what is wrong, the
/// command names the flag that fixes it.
enum Messages {
    /// The flag each setting comes from.
    static func flag(for error: SettingError) -> String {
        switch error {
        case .size: return "--size"
        case .saturation: return "--saturation"
        case .zStd: return "--z-std"
        case .smoothing: return "--smooth"
        }
    }

    /// The one-line message for `error`, or nil when its own description is the message.
    static func text(for error: Error) -> String? {
        switch error {
        case let e as SettingError:
            return "\(flag(for: e)) \(e.problem)"
        case let e as ClassNeeded:
            return "model '\(e.model)' cannot estimate classes; choose one with --class NAME|INDEX"
        case let e as FileError where e.kind == .alreadyExists:
            return "\(e.path): \(e.reason) (use --overwrite to replace it)"
        case let e as MediaError where e.kind == .destinationExists:
            return "\(e.file): \(e.problem) (use --overwrite to replace it)"
        case ModelError.noEmbeddedModel:
            return "the embedded default model is missing from this build; pass --model PATH"
        case let ModelError.notEnoughMemory(h, w, needed, available):
            return String(format: "a %d×%d network input needs about %.1f GB of memory and %.1f GB is available; use a smaller --size",
                          h, w, Double(needed) / 1e9, Double(available) / 1e9)
        default:
            return nil
        }
    }
}
