// swift-tools-version:6.1
import PackageDescription

// The folders follow the data flow:
//   Media (decode) -> Shots -> Engine/Model (colorize) -> Temporal (smooth) -> Media (encode),
// wired together by Pipeline and exposed by the `kinecolor` command.

// The review server (Sources/Review) brings Hummingbird and SwiftNIO, minutes of building. The
// sanitizer run in CI (.ci/run) checks the media and model I/O paths and leaves it out with
// KINECOLOR_NO_REVIEW=1; every other build has it.
let withReview = Context.environment["KINECOLOR_NO_REVIEW"] == nil

// The modules that touch every pixel of every frame are optimized in debug builds too: unoptimized,
// a render of the bundled sample took 2.8× as long, and the tests that render films (most of
// `swift test`) spent their time there. Overflow checks stay on (-O keeps them).
let pixelLoops: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "Kinecolor",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kinecolor", targets: ["kinecolor"]),
        // The library: films and stills (Pipeline), models (Model), media I/O (Media).
        // Examples/ColorizeStill uses it as an outside package would.
        .library(name: "Kinecolor", targets: ["KinecolorPipeline", "KinecolorModel", "KinecolorMedia"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ] + (withReview ? [
        // Without its default traits: swift-configuration support, which nothing here uses.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.0", traits: []),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.3.0"),
    ] : []),
    targets: [
        // C interop: headers and link flags only.
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CFFmpeg", path: "Sources/CFFmpeg", pkgConfig: "libavformat libavcodec libswscale libavutil",
            providers: [.apt(["libavformat-dev", "libavcodec-dev", "libswscale-dev", "libavutil-dev"])]),

        // OpenCV's DIS optical flow behind a C function (Debian libopencv-video-dev has no
        // pkg-config file, hence the include path): C++ stays in this target.
        .target(name: "COpticalFlow", path: "Sources/COpticalFlow",
                cxxSettings: [.unsafeFlags(["-I/usr/include/opencv4"])],
                linkerSettings: [.linkedLibrary("opencv_video"), .linkedLibrary("opencv_core")]),

        // The default model's weights, compiled into the executable (Sources/Weights/README.md).
        .target(name: "CKinecolorWeights", path: "Sources/Weights",
                exclude: ["README.md", "kinecolor-default-v3.safetensors"]),

        // File formats and system I/O other modules share: atomic placement of outputs (the one
        // temp-then-rename writer), SHA-256, the strict JSON reader, timecodes.
        .target(name: "KinecolorFiles", path: "Sources/Files"),
        // Tensors and CPU kernels on OpenBLAS: the network's (convolution, pooling, attention) and
        // the image math around it (sRGB↔CIELAB, area and bilinear resizing).
        .target(name: "KinecolorEngine", dependencies: ["CBLAS"], path: "Sources/Engine", swiftSettings: pixelLoops),
        // The BigColor network (its module tree) and its file format: safetensors weights, .npy;
        // the embedded default model.
        .target(name: "KinecolorModel", dependencies: ["KinecolorEngine", "KinecolorFiles", "CKinecolorWeights"],
                path: "Sources/Model", swiftSettings: pixelLoops),
        // Demux, decode, encode, mux (FFmpeg libraries).
        .target(name: "KinecolorMedia", dependencies: ["CFFmpeg", "KinecolorFiles"], path: "Sources/Media", swiftSettings: pixelLoops),
        // Hard-cut detection on luma; shot lists (CSV, EDL).
        .target(name: "KinecolorShots", dependencies: ["KinecolorFiles"], path: "Sources/Shots", swiftSettings: pixelLoops),
        // How the picture moves inside a shot: optical flow with confidence, keyframe placement.
        .target(name: "KinecolorMotion", dependencies: ["COpticalFlow"], path: "Sources/Motion", swiftSettings: pixelLoops),
        // Chroma over time inside a shot: carried from keyframes along the motion, smoothed.
        .target(name: "KinecolorTemporal", dependencies: ["KinecolorMotion"], path: "Sources/Temporal", swiftSettings: pixelLoops),
        // Film and still colorization: ties the stages together.
        .target(name: "KinecolorPipeline",
                dependencies: ["KinecolorMedia", "KinecolorShots", "KinecolorMotion", "KinecolorModel", "KinecolorTemporal",
                               "KinecolorFiles", "KinecolorEngine"],
                path: "Sources/Pipeline", swiftSettings: pixelLoops),
        .executableTarget(
            name: "kinecolor",
            dependencies: ["KinecolorPipeline", "KinecolorModel", "KinecolorEngine", "KinecolorMedia", "KinecolorShots",
                           "KinecolorMotion", "KinecolorFiles",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
                + (withReview ? ["KinecolorReview"] : []),
            path: "Sources/kinecolor"),

        .testTarget(name: "FilesTests", dependencies: ["KinecolorFiles"], path: "Tests/FilesTests"),
        .testTarget(name: "EngineTests", dependencies: ["KinecolorEngine"], path: "Tests/EngineTests"),
        .testTarget(name: "ModelTests", dependencies: ["KinecolorModel", "KinecolorEngine", "KinecolorFiles"], path: "Tests/ModelTests",
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "MediaTests", dependencies: ["KinecolorMedia"], path: "Tests/MediaTests"),
        .testTarget(name: "ShotsTests", dependencies: ["KinecolorShots", "KinecolorFiles"], path: "Tests/ShotsTests"),
        .testTarget(name: "MotionTests", dependencies: ["KinecolorMotion"], path: "Tests/MotionTests"),
        .testTarget(name: "TemporalTests", dependencies: ["KinecolorTemporal", "KinecolorMotion"], path: "Tests/TemporalTests"),
        .testTarget(name: "PipelineTests",
                    dependencies: ["KinecolorPipeline", "KinecolorEngine", "KinecolorMedia", "KinecolorModel",
                                   "KinecolorShots", "KinecolorTemporal", "KinecolorMotion"],
                    path: "Tests/PipelineTests"),
        .testTarget(name: "CLITests",
                    dependencies: ["kinecolor", "KinecolorPipeline", "KinecolorModel", "KinecolorMedia", "KinecolorFiles",
                                   "LoopbackHTTP"],
                    path: "Tests/CLITests", exclude: ["gray.png"]),
        // The tests' one HTTP client, for the review server and chromedriver on 127.0.0.1.
        .target(name: "LoopbackHTTP", path: "Tests/Support/LoopbackHTTP"),
    ] + (withReview ? reviewTargets : []) + [
        // The house rules (Docs/architecture.md) checked on the source tree itself.
        .testTarget(name: "RepositoryTests", path: "Tests/RepositoryTests"),
    ],
    swiftLanguageModes: [.v6],
    cxxLanguageStandard: .cxx17
)

/// The review page's server: a project file as a worktable in the browser (Docs/review.md). The
/// page is plain HTML, CSS and JavaScript, compiled in as resources.
var reviewTargets: [Target] {
    [
        .target(name: "KinecolorReview",
                dependencies: ["KinecolorPipeline", "KinecolorMedia", "KinecolorFiles",
                               .product(name: "Hummingbird", package: "hummingbird"),
                               .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                               .product(name: "Logging", package: "swift-log"),
                               .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "HTTPTypes", package: "swift-http-types")],
                // Compiled into the executable, so that one copied binary still serves its page.
                path: "Sources/Review",
                resources: [.embedInCode("Page/index.html"), .embedInCode("Page/review.js"), .embedInCode("Page/review.css")]),
        .testTarget(name: "ReviewTests",
                    dependencies: ["KinecolorReview", "KinecolorPipeline", "KinecolorModel", "KinecolorFiles", "LoopbackHTTP",
                                   .product(name: "Hummingbird", package: "hummingbird"),
                                   .product(name: "HTTPTypes", package: "swift-http-types"),
                                   .product(name: "NIOCore", package: "swift-nio")],
                    path: "Tests/ReviewTests"),
    ]
}
