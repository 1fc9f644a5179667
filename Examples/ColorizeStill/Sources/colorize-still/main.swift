// colorize-still IN.png OUT.png [SEED]: a photo colorized as `kinecolor image` does, through
// the library's public API only.
import Foundation
import KinecolorMedia
import KinecolorModel
import KinecolorPipeline

let arguments = CommandLine.arguments
guard arguments.count == 3 || arguments.count == 4 else {
    FileHandle.standardError.write(Data("usage: colorize-still IN OUT.png [SEED]\n".utf8))
    exit(2)
}
do {
    let model = try DefaultModel.load(nil)
    // The model's own network size and saturation; the class it estimates for the photo.
    let options = ColorizeOptions(for: model, classChoice: "auto", seed: UInt64(arguments.count == 4 ? arguments[3] : "0") ?? 0)
    let picture = try Stills.colorize(URL(fileURLWithPath: arguments[1]), network: model, options: options)
    try StillImage.writePNG(picture, matrix: .bt601, to: URL(fileURLWithPath: arguments[2]))
    print("\(arguments[2]): \(picture.width)×\(picture.height), model \(model.name)")
} catch {
    FileHandle.standardError.write(Data("colorize-still: \(error)\n".utf8))
    exit(1)
}
