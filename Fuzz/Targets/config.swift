// A model's `__metadata__["config"]` and `["inference"]` (Sources/Model/Config.swift,
// InferenceDefaults.swift), decoded and validated exactly as `ColorizationModel(contentsOf:)`
// does, without building the network. Input: the config JSON, optionally followed by a
// 0x00 byte and the inference JSON.
import Foundation
@testable import KinecolorModel

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let split = bytes.firstIndex(of: 0) ?? size
    let configData = Data(bytes[..<split])
    let inferenceData = split < size ? Data(bytes[(split + 1)...]) : nil
    do {
        let config = try JSONDecoder().decode(ModelConfig.self, from: configData)
        try config.validate()
        _ = config.flops(height: 256, width: 256)
        if let inferenceData {
            let inference = try JSONDecoder().decode(InferenceDefaults.self, from: inferenceData)
            try inference.validate(classNames: (0..<min(config.numClasses, 1000)).map { "class\($0)" })
        }
    } catch {
        checkOneLine(error)
    }
    return 0
}
