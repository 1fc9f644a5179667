// swift-tools-version:6.0
// An outside package that uses the Kinecolor library: colorizes one photo with the embedded
// default model. CI builds and runs it (.ci/run), so the library's public API stays usable.
import Foundation
import PackageDescription

// A path dependency is named after its folder, whatever the clone is called.
let kinecolorRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

let package = Package(
    name: "ColorizeStill",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: kinecolorRoot.path)],
    targets: [
        .executableTarget(
            name: "colorize-still",
            dependencies: [.product(name: "Kinecolor", package: kinecolorRoot.lastPathComponent)]),
    ]
)
