// The whole model load (`ColorizationModel(contentsOf:)`, Sources/Model/Model.swift): safetensors,
// config, class names, inference defaults, then the network built from the config and every
// weight checked against it. Not in run.sh's default list yet: see Docs/fuzzing.md.
import KinecolorModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withScratchFile(data, size, fileName: "model.safetensors") { url in
        do {
            _ = try ColorizationModel(contentsOf: url)
        } catch {
            checkOneLine(error)
        }
    }
    return 0
}
