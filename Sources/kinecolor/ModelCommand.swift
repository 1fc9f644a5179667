import ArgumentParser
import Foundation
import KinecolorEngine
import KinecolorModel

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Inspect, run and benchmark colorization networks.",
        subcommands: [Info.self, Forward.self, Bench.self, Random.self])

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a model file's configuration, size, classes and checksum.")

        @Argument(help: "A Kinecolor model (.safetensors); default: the embedded model.") var model: String?
        @Option(parsing: .unconditional, help: "How many class names to list.") var classes = 10

        func validate() throws { try Bounds.check(classes, 0...100_000, "--classes") }

        func run() throws {
            let m = try DefaultModel.load(model)
            let c = m.config
            print("model:        \(m.name)")
            print("file:         \(model ?? "embedded in kinecolor (\(DefaultModel.embeddedFileName))")")
            print("sha256:       \(m.checksum ?? "-")")
            print("architecture: \(m.metadata["format"] ?? "?") v\(m.metadata["architecture_version"] ?? "?")")
            print("parameters:   \(m.parameterCount.formatted()) (\(String(format: "%.1f", Double(m.parameterCount) * 4 / 1e6)) MB as float32)")
            print("encoder:      \(c.encoderChannels.map(String.init).joined(separator: " → "))")
            print("generator:    \(c.generatorChannels.map(String.init).joined(separator: " → ")) (blocks \(c.generatorBlocks.lowerBound)…\(c.generatorBlocks.upperBound - 1), attention after \(c.attentionBlock))")
            print("class code:   \(c.sharedDim)-d, \(c.numClasses) classes")
            print("z:            \(c.dimZ) values, chunks of \(c.zChunk)")
            let inf = m.inference
            print("runs at:      short side \(inf.size), saturation \(String(format: "%.2f", inf.saturation)), "
                  + "z std \(String(format: "%.2f", inf.zStd))"
                  + (inf.autoClassFallback.map { String(format: ", auto class below p %.2f → \($0)", inf.autoClassMinProbability) } ?? ""))
            if inf.autoClassFallback != nil, !inf.autoClassMinProbabilityByClass.isEmpty {
                let own = inf.autoClassMinProbabilityByClass.sorted { $0.key < $1.key }
                print("              (" + own.map { String(format: "\($0.key) below p %.2f", $0.value) }.joined(separator: ", ") + ")")
            }
            if let cal = m.calibration {
                print("calibration:  \(cal.bands) gray bands × \(cal.nodes)×\(cal.nodes) a/b nodes over ±\(Int(cal.range)) (before the gain)")
            }
            let gf = c.flops(height: 256, width: 256).reduce(0) { $0 + $1.flops } / 1e9
            print("cost:         \(String(format: "%.1f", gf)) GFLOP at 256×256")
            let shown = m.classNames.prefix(classes).enumerated().map { "\($0): \($1)" }
            print("classes:      " + shown.joined(separator: "; ") + (m.classNames.count > classes ? "; …" : ""))
            for key in ["description", "source", "license", "created", "git_commit", "corpus_hash"] {
                if let v = m.metadata[key] { print("\(key):".padding(toLength: 14, withPad: " ", startingAt: 0) + v) }
            }
        }
    }

    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the raw network on a .npy input (for verification against PyTorch).",
            usage: """
            kinecolor model forward --model <model> --input <input> --class <class>
              --z <z> --output <output> [<options>]
            """,
            discussion: """
            x: float32 [1,1,H,W] in [0,1], H and W multiples of 16. z: float32 [Z] or [1,Z]. \
            The output y is float32 [1,3,H,W], the network's tanh output.
            """)

        @Option(help: "A Kinecolor model (.safetensors).") var model: String
        @Option(name: .customLong("input"), help: "Gray input, .npy float32 [1,1,H,W].") var input: String
        @Option(name: .customLong("class"), help: "Class index or name.") var classArgument: String
        @Option(help: "Latent code, .npy float32 [Z] or [1,Z].") var z: String
        @Option(help: "Where to write y, .npy float32 [1,3,H,W].") var output: String
        @Option(parsing: .unconditional, help: "BLAS threads (default: all cores).") var threads: Int?
        @OptionGroup var replace: OverwriteOption

        func run() throws {
            try Output.checkWritable(output, overwrite: replace.overwrite, inputs: [input, z, model])
            BLASRuntime.setThreads(threads ?? ProcessInfo.processInfo.activeProcessorCount)
            let m = try ColorizationModel(contentsOf: URL(fileURLWithPath: model))
            let x = try NPY.read(URL(fileURLWithPath: input))
            guard x.shape.count == 4, x.shape[0] == 1, x.shape[1] == 1 else {
                throw CLIError("\(input): expected shape [1, 1, H, W], got \(x.shapeDescription)")
            }
            let zt = try NPY.read(URL(fileURLWithPath: z))
            guard zt.shape == [m.config.dimZ] || zt.shape == [1, m.config.dimZ] else {
                throw CLIError("\(z): expected shape [\(m.config.dimZ)] or [1, \(m.config.dimZ)], got \(zt.shapeDescription)")
            }
            let code = try m.classCode(try m.classIndex(classArgument))
            let y = try m.forward(gray: x, classCode: code, z: zt.data)
            try NPY.write(y, to: URL(fileURLWithPath: output))
        }
    }

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the forward pass: median of several runs, GFLOP/s per block, peak memory.",
            usage: "kinecolor model bench [--model <model> | --random] [<options>]")

        @Option(help: "A Kinecolor model (.safetensors); default: the embedded model.") var model: String?
        @Flag(help: "Use a full-size official-shape BigColor network with random weights (no download).") var random = false
        @Option(help: ArgumentHelp("Network input HxW, e.g. 256x448 (comma-separate several; default: 256x256).", valueName: "HxW,…"),
                transform: NetworkInputSizes.init(parsing:))
        var size: NetworkInputSizes?
        @Option(parsing: .unconditional, help: "BLAS threads (default: all cores).") var threads: Int?
        @Option(parsing: .unconditional, help: "Timed runs per size.") var runs = 5
        @Option(parsing: .unconditional, help: "Untimed warm-up runs per size.") var warmup = 1
        @Flag(help: "Also print one JSON line per size.") var json = false

        func validate() throws {
            if model != nil && random { throw ValidationError("give --model PATH or --random, not both") }
            try Bounds.check(threads, Bounds.threads, "--threads")
            try Bounds.check(runs, 1...1000, "--runs")
            try Bounds.check(warmup, 0...100, "--warmup")
        }

        func run() throws {
            let nThreads = threads ?? ProcessInfo.processInfo.activeProcessorCount
            BLASRuntime.setThreads(nThreads)
            Parallelism.threads = nThreads
            EngineMemory.reuseLargeBuffers()
            let m = random ? .random(.bigcolor) : try DefaultModel.load(model)
            print("model \(m.name), \(m.parameterCount.formatted()) parameters; OpenBLAS \(BLASRuntime.coreName) kernels, \(nThreads) threads")
            var rng = PortableRandom(seed: 1)
            let code = try m.classCode(0)
            let z = rng.normals(m.config.dimZ, std: 0.8)
            for s in (size ?? NetworkInputSizes([(256, 256)])).sizes {
                let gray = Tensor(shape: [s.height, s.width], data: rng.normals(s.height * s.width).map { min(max(0.5 + 0.2 * $0, 0), 1) })
                let flops = m.config.flops(height: s.height, width: s.width)
                var totals: [Double] = []
                var perBlock: [String: [Double]] = [:]
                for r in 0..<(warmup + runs) {
                    var last = DispatchTime.now().uptimeNanoseconds
                    let start = last
                    _ = try m.forwardMap(gray: gray, classCode: code, z: z) { name, _ in
                        let now = DispatchTime.now().uptimeNanoseconds
                        if r >= warmup { perBlock[name, default: []].append(Double(now - last) / 1e9) }
                        last = now
                    }
                    if r >= warmup { totals.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
                }
                let total = median(totals)
                let gflop = flops.reduce(0) { $0 + $1.flops } / 1e9
                print("")
                print("\(s.height)×\(s.width): median \(fmt(total, 3)) s over \(runs) runs (min \(fmt(totals.min()!, 3)), max \(fmt(totals.max()!, 3))), \(fmt(gflop, 1)) GFLOP, \(fmt(gflop / total, 0)) GFLOP/s")
                print("  block             time (s)   GFLOP   GFLOP/s")
                for (name, f) in flops {
                    let t = median(perBlock[name] ?? [0])
                    print("  " + name.padding(toLength: 16, withPad: " ", startingAt: 0)
                          + fmt(t, 4).leftPad(10) + fmt(f / 1e9, 2).leftPad(8) + fmt(t > 0 ? f / 1e9 / t : 0, 0).leftPad(10))
                }
                let peak = peakResidentBytes().map { Double($0) / 1e6 } ?? 0
                print("  peak resident memory so far: \(fmt(peak, 0)) MB")
                if json {
                    print("{\"size\":\"\(s.height)x\(s.width)\",\"median_s\":\(total),\"runs\":\(totals),\"gflop\":\(gflop),\"threads\":\(nThreads),\"blas_core\":\"\(BLASRuntime.coreName)\",\"peak_rss_mb\":\(peak)}")
                }
            }
        }
    }

    struct Random: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a full-size BigColor-shaped model with random weights, to time a full-size model without a download.",
            usage: "kinecolor model random -o <output> [<options>]",
            discussion: "Its colors mean nothing. Example: kinecolor model random -o big.safetensors")

        @Option(name: .shortAndLong, help: "Model file to write (.safetensors).") var output: String
        @Option(parsing: .unconditional, help: "Seed of the weights.") var seed: UInt64 = 0
        @OptionGroup var replace: OverwriteOption

        func run() throws {
            try Output.checkWritable(output, overwrite: replace.overwrite, inputs: [])
            try ColorizationModel.random(.bigcolor, seed: seed).write(to: URL(fileURLWithPath: output))
        }
    }
}

func median(_ xs: [Double]) -> Double {
    let s = xs.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
}

func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? self : String(repeating: " ", count: n - count) + self }

}
