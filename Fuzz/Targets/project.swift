// Project files (`*.kcproj.json`, Sources/Pipeline/Project.swift): `Project.load` decodes with
// Foundation's JSONDecoder, then validates every field and the shot ranges.
import KinecolorPipeline

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    withScratchFile(data, size, fileName: "film.kcproj.json") { url in
        do {
            let project = try Project.load(url)
            _ = project.options
        } catch {
            checkOneLine(error)
        }
    }
    return 0
}
