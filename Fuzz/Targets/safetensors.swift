// The safetensors container (Sources/Model/IO/Safetensors.swift): header length, UTF-8 and JSON
// header, __metadata__, every entry's dtype/shape/offsets, overlaps; then every tensor is read.
import KinecolorModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withScratchFile(data, size, fileName: "model.safetensors") { url in
        do {
            let file = try SafetensorsFile(url: url)
            _ = file.metadata
            for name in file.names {
                guard let info = file.info(name) else { preconditionFailure("listed tensor has no info") }
                do {
                    let t = try file.tensor(name)
                    precondition(t.shape == info.shape, "tensor shape differs from its header")
                } catch {
                    checkOneLine(error)
                }
            }
            file.close()
        } catch {
            checkOneLine(error)
        }
    }
    return 0
}
