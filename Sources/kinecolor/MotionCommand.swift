import ArgumentParser
import Foundation
import KinecolorEngine
import KinecolorModel
import KinecolorMotion

struct MotionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "motion",
        abstract: "Measure the optical flow that carries color along the picture.",
        subcommands: [Bench.self])

    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Flow accuracy on synthetic warps of real frames, and its speed.",
            usage: "kinecolor motion bench [<clip> ...] [<options>]",
            discussion: """
            Each frame (luma at the network size) is moved by a known motion: a translation \
            by 2.6,-1.4 px, a 5% zoom and a 3° rotation about the centre, and a patch moving \
            5.5,3.25 px over the still frame; each again with grain (σ 0.02) on both frames \
            and the second 10% brighter. For every DIS preset: the mean endpoint error over \
            the pixels seen in both frames (median over frames), and how the forward-backward \
            confidence sorts pixels seen in the second frame from those that are not. Then \
            the time of one flow and of one pair (both directions and confidences) against \
            the embedded model's forward pass at the same size.
            """)

        @Argument(help: ArgumentHelp("Clips to take frames from (default: the color clips in shared/samples beside the repository).",
                                     valueName: "clip"))
        var clips: [String] = []
        @Option(parsing: .unconditional, help: ArgumentHelp("""
            Short side of the working size, \(NetworkShortSide.accepted) (default: the embedded \
            model's own).
            """, valueName: "n"), transform: NetworkShortSide.init(parsing:))
        var size: NetworkShortSide?
        @Option(parsing: .unconditional, help: "Frames per clip, 12 frames apart.") var frames = 5
        @Option(parsing: .unconditional, help: "Timed rounds of the speed measurements (after one untimed).") var runs = 7
        @Option(parsing: .unconditional, help: "BLAS threads for the forward pass (default: all cores).") var threads: Int?

        func validate() throws {
            try Bounds.check(frames, 1...1000, "--frames")
            try Bounds.check(runs, 1...1000, "--runs")
            try Bounds.check(threads, Bounds.threads, "--threads")
        }

        func run() throws {
            let paths = clips.isEmpty ? MotionBenchFrames.sampleClips() : clips
            guard !paths.isEmpty else {
                throw CLIError("no clips given, and no samples in shared/samples beside the repository (or $KINECOLOR_SHARED/samples)")
            }
            let nThreads = threads ?? ProcessInfo.processInfo.activeProcessorCount
            BLASRuntime.setThreads(nThreads)
            Parallelism.threads = nThreads
            EngineMemory.reuseLargeBuffers()
            let model = try DefaultModel.loadEmbedded()
            let shortSide = size?.value ?? model.inference.size
            // Every clip is read before anything is printed: a bad one is the only output.
            let taken = try paths.map { try MotionBenchFrames.frames(of: $0, size: shortSide, count: frames, spacing: 12) }
            print("motion bench: short side \(shortSide), DIS presets \(presetNames), default \(OpticalFlow().preset)")
            for (path, clip) in zip(paths, taken) {
                print("  \(URL(fileURLWithPath: path).lastPathComponent): \(clip.count) frame\(clip.count == 1 ? "" : "s") at \(clip[0].height)×\(clip[0].width)")
            }
            let planes = taken.flatMap { $0 }
            try accuracy(planes)
            try speed(planes, model: model, threads: nThreads)
        }

        var presetNames: String { OpticalFlow.Preset.allCases.map { "\($0)" }.joined(separator: ", ") }

        /// The accuracy table: one row per case, variant and preset.
        func accuracy(_ planes: [LumaPlane]) throws {
            let presets = OpticalFlow.Preset.allCases
            var scores: [[FlowScore]] = []  // [case × variant][preset]
            for (k, plane) in planes.enumerated() {
                for (c, warp) in WarpCase.all(width: plane.width, height: plane.height).enumerated() {
                    let a = WarpCase.render(plane, warp.first), b = WarpCase.render(plane, warp.second)
                    var truth: [(dx: Double, dy: Double, seen: Bool)] = []
                    truth.reserveCapacity(plane.width * plane.height)
                    for p in 0..<(plane.width * plane.height) { truth.append(warp.truth(Double(p % plane.width), Double(p / plane.width))) }
                    let variants = [(a, b),
                                    (WarpCase.degraded(a, gain: 1, grain: 0.02, seed: UInt64(2 * k + 1)),
                                     WarpCase.degraded(b, gain: 1.1, grain: 0.02, seed: UInt64(2 * k + 2)))]
                    for (v, (first, second)) in variants.enumerated() {
                        let row = 2 * c + v
                        if scores.count <= row { scores.append(Array(repeating: FlowScore(), count: presets.count)) }
                        for (i, preset) in presets.enumerated() {
                            scores[row][i].add(try PairMotion.estimate(from: first, to: second, flow: OpticalFlow(preset: preset)),
                                               truth: truth)
                        }
                    }
                }
            }
            printAccuracy(scores, names: WarpCase.all(width: planes[0].width, height: planes[0].height).map(\.name),
                          frames: planes.count)
        }

        func printAccuracy(_ scores: [[FlowScore]], names: [String], frames: Int) {
            print("")
            print("Accuracy over \(frames) frames. EPE: mean endpoint error (px) over the pixels")
            print("seen in both frames, median over frames. Hidden marked: pixels not seen in the")
            print("second frame (occluded, or out of the picture) with confidence < 0.5; seen")
            print("kept: the others with confidence > 0.5 (both pooled over frames).")
            print("")
            print("case                      preset       EPE px   hidden marked   seen kept")
            for (row, perPreset) in scores.enumerated() {
                let label = row % 2 == 0 ? names[row / 2] : "  + grain, flicker"
                for (i, score) in perPreset.enumerated() {
                    let preset = "\(OpticalFlow.Preset.allCases[i])"
                    print((i == 0 ? label : "").padding(toLength: 26, withPad: " ", startingAt: 0)
                          + preset.padding(toLength: 10, withPad: " ", startingAt: 0)
                          + fmt(median(score.errors), 3).leftPad(9)
                          + percent(score.marked, of: score.hidden).leftPad(16)
                          + percent(score.kept, of: score.seen).leftPad(12))
                }
            }
        }

        func percent(_ part: Int, of whole: Int) -> String {
            whole == 0 ? "-" : fmt(100 * Double(part) / Double(whole), 1) + " %"
        }

        /// One flow and one pair per preset, and the network's forward pass, at every size the
        /// frames have, in rounds (the first untimed), so that a change in the machine's load
        /// touches all of them alike.
        func speed(_ planes: [LumaPlane], model: ColorizationModel, threads: Int) throws {
            var sizes: [(height: Int, width: Int)] = []
            for p in planes where !sizes.contains(where: { $0 == (p.height, p.width) }) { sizes.append((p.height, p.width)) }
            let pairs = sizes.map { s in
                let plane = planes.first { $0.height == s.height && $0.width == s.width }!
                let warp = WarpCase.all(width: s.width, height: s.height)[0]
                return (WarpCase.render(plane, warp.first), WarpCase.render(plane, warp.second))
            }
            let presets = OpticalFlow.Preset.allCases
            var random = PortableRandom(seed: 1)
            let code = try model.classCode(0), z = random.normals(model.config.dimZ, std: 0.8)
            let empty = [[[Double]]](repeating: [[Double]](repeating: [], count: presets.count), count: sizes.count)
            var flowMs = empty, pairMs = empty
            var forwardMs = [[Double]](repeating: [], count: sizes.count)
            for round in 0...runs {
                for (k, (a, b)) in pairs.enumerated() {
                    for (i, preset) in presets.enumerated() {
                        let flow = OpticalFlow(preset: preset)
                        let f = try milliseconds { _ = try flow.flow(from: a, to: b) }
                        let p = try milliseconds { _ = try PairMotion.estimate(from: a, to: b, flow: flow) }
                        if round > 0 { flowMs[k][i].append(f); pairMs[k][i].append(p) }
                    }
                }
                for (k, (a, _)) in pairs.enumerated() {
                    let gray = Tensor(shape: [a.height, a.width], data: a.values)
                    let t = try milliseconds { _ = try model.forwardMap(gray: gray, classCode: code, z: z) }
                    if round > 0 { forwardMs[k].append(t) }
                }
                // OpenBLAS's threads spin a while after a call: they stop before the next flows.
                Thread.sleep(forTimeInterval: 0.2)
            }
            printSpeed(sizes: sizes, flow: flowMs.map { $0.map(median) }, pair: pairMs.map { $0.map(median) },
                       forward: forwardMs.map(median), model: model.name, threads: threads)
        }

        /// The speed table: per size and preset, milliseconds and shares of the forward pass.
        func printSpeed(sizes: [(height: Int, width: Int)], flow: [[Double]], pair: [[Double]], forward: [Double],
                        model: String, threads: Int) {
            let presets = OpticalFlow.Preset.allCases
            print("")
            print("Speed, median of \(runs) rounds after one untimed. A flow runs on one thread, a")
            print("pair's two flows side by side (with both confidences), the forward pass")
            print("(\(model)) on \(threads) BLAS threads.")
            print("")
            print("size      preset     flow ms   pair ms   forward ms   flow/fwd   pair/fwd")
            for (k, s) in sizes.enumerated() {
                for i in presets.indices {
                    print((i == 0 ? "\(s.height)×\(s.width)" : "").padding(toLength: 10, withPad: " ", startingAt: 0)
                          + "\(presets[i])".padding(toLength: 9, withPad: " ", startingAt: 0)
                          + fmt(flow[k][i], 2).leftPad(9) + fmt(pair[k][i], 2).leftPad(10) + fmt(forward[k], 1).leftPad(13)
                          + fmt(flow[k][i] / forward[k], 3).leftPad(11) + fmt(pair[k][i] / forward[k], 3).leftPad(11))
                }
            }
            let d = presets.firstIndex(of: OpticalFlow().preset)!
            let flowShare = sizes.indices.map { flow[$0][d] / forward[$0] }.max()!
            let pairShare = sizes.indices.map { pair[$0][d] / forward[$0] }.max()!
            print("")
            print("Default preset (\(presets[d])), largest share of the forward pass: one flow \(fmt(flowShare, 3)),")
            print("one pair \(fmt(pairShare, 3)) (issue 11: a frame pair's flow at most 0.25).")
        }
    }
}
