import KinecolorEngine
import KinecolorMotion
import KinecolorTemporal

/// The motion stage: how the picture moved from the previous frame of the same shot, on the
/// network-size luma (the flow's working resolution: what the chroma lives on).
struct MotionStage {
    let flow: OpticalFlow
    private var previous: (index: Int, shot: Int, luma: LumaPlane)?

    init(flow: OpticalFlow = OpticalFlow()) {
        self.flow = flow
    }

    /// The pair (previous frame, this one) when the previous frame pushed is this one's neighbour
    /// in the same shot and `wanted`; nil otherwise (a shot's first frame never looks back).
    mutating func motion(index: Int, shot: Int, luma: Tensor, wanted: Bool = true) throws -> PairMotion? {
        let plane = LumaPlane(width: luma.shape[1], height: luma.shape[0], values: luma.data)
        defer { previous = (index, shot, plane) }
        guard wanted, let previous, previous.shot == shot, previous.index == index - 1 else { return nil }
        return try PairMotion.estimate(from: previous.luma, to: plane, flow: flow)
    }

    /// Whether a shot's frames need their motion: to carry color from keyframes or references, or
    /// to smooth.
    static func needed(for shot: ShotSettings, smoothing: Int) -> Bool {
        !shot.skip && (shot.keyframes != nil || !shot.referenceFrames.isEmpty || smoothing > 0)
    }
}

/// The network stage of a film, shared by render and preview so that both give the same bits:
/// each frame's chroma from its shot's class code and z, through the network for keyframes and
/// carried along the motion for the rest (`KeyframePropagation`), then smoothed along the motion
/// inside the shot (`TemporalSmoother`). In a shot with references, the references are the
/// keyframes and the network only fills in, color-matched to them (`ChromaMatch`); in a shot with
/// a palette photo, the network's colors are shifted toward its palette. A shot without references
/// in a camera setup where another shot has some borrows them (`borrow`). Frames come
/// back in order, a little later than pushed.
struct ChromaStream {
    let network: ChromaNetwork
    let colorizer: FrameColorizer
    private var smoother: TemporalSmoother
    private var current: Current?

    /// The shot being pushed and what its frames' chroma comes from.
    private struct Current {
        let shot: ShotSettings
        var propagation: KeyframePropagation
        let code: [Float]
        let z: [Float]
        /// Reference chroma at network size, by film frame.
        let references: [Int: NetworkChroma]
        /// For a shot that borrows its setup's references: the frame that gets their colors, and
        /// their chroma at network size.
        let borrowed: (frame: Int, from: [NetworkChroma])?
        let match: ChromaMatch?
        /// The palette photo's chroma at network size (its statistics are what count).
        let palette: NetworkChroma?
    }

    init(network: ChromaNetwork, colorizer: FrameColorizer, smoothing: Int) {
        self.network = network
        self.colorizer = colorizer
        smoother = TemporalSmoother(radius: smoothing)
    }

    /// Adds the next frame (of `shot`, not skipped); returns the frames completed by it.
    mutating func push(index: Int, of shot: ShotSettings, luma: Tensor, motion: PairMotion?) throws -> [NetworkChroma] {
        var out: [NetworkChroma] = []
        if current?.shot.index != shot.index {
            out = try finishShot()
            current = try start(shot)
        }
        let frame = LumaFrame(index: index, width: luma.shape[1], height: luma.shape[0], luma: luma.data, motion: motion)
        let source = chroma(current!)
        for chroma in try current!.propagation.push(frame, network: source) {
            out += smoother.push(chroma, shot: shot.index)
        }
        return out
    }

    /// The frames still held (the end of the last shot pushed).
    mutating func flush() throws -> [NetworkChroma] {
        try finishShot() + smoother.flush()
    }

    private func start(_ shot: ShotSettings) throws -> Current {
        let code = try network.classCode(shot.classIndex), z = shot.z(count: network.dimZ)
        let sources = shot.references.isEmpty ? shot.borrowed?.references ?? [] : shot.references
        guard !sources.isEmpty else {
            return Current(shot: shot, propagation: KeyframePropagation(keyframes: shot.keyframes ?? Array(shot.range)),
                           code: code, z: z, references: [:], borrowed: nil, match: nil,
                           palette: shot.palette.map { colorizer.referenceChroma($0) })
        }
        var references: [Int: NetworkChroma] = [:]
        var pairs: [(network: NetworkChroma, reference: NetworkChroma)] = []
        for r in sources {
            let chroma = colorizer.referenceChroma(r.image)
            references[r.frame] = chroma
            let own = try colorizer.chroma(luma: Tensor(shape: [chroma.height, chroma.width], data: chroma.luma),
                                           network: network, classCode: code, z: z)
            pairs.append((own, chroma))
        }
        let match = ChromaMatch(pairs: pairs)
        if shot.references.isEmpty, let borrowed = shot.borrowed {
            return Current(shot: shot, propagation: KeyframePropagation(references: [borrowed.frame]), code: code, z: z,
                           references: [:], borrowed: (borrowed.frame, sources.map { references[$0.frame]! }),
                           match: match, palette: nil)
        }
        return Current(shot: shot, propagation: KeyframePropagation(references: references.keys.sorted()),
                       code: code, z: z, references: references, borrowed: nil, match: match, palette: nil)
    }

    /// A frame's chroma from references painted for other shots of its setup: the one whose luma
    /// correlates best with the frame's is carried over along the flow between the two pictures,
    /// weighted by the flow's confidence as color carried between neighbouring frames is; `fill`
    /// (the color-matched network) covers the rest.
    static func borrow(from candidates: [NetworkChroma], into f: LumaFrame, fill: NetworkChroma) throws -> NetworkChroma {
        let scores = candidates.map { Reference.correlation($0.luma, f.luma) }
        let best = candidates[scores.indices.max { scores[$0] < scores[$1] }!]
        let motion = try PairMotion.estimate(from: LumaPlane(width: f.width, height: f.height, values: best.luma),
                                             to: LumaPlane(width: f.width, height: f.height, values: f.luma))
        let reach = Correspondence.along(motion.backward, confidence: motion.backwardConfidence)
        let a = reach.warp(best.a), b = reach.warp(best.b)
        var out = fill
        for p in out.a.indices {
            let c = reach.confidence[p]
            out.a[p] = c * a[p] + (1 - c) * out.a[p]
            out.b[p] = c * b[p] + (1 - c) * out.b[p]
        }
        return out
    }

    /// Where a frame's own chroma comes from: its reference, or the network (color-matched to the
    /// shot's references when it has any).
    private func chroma(_ current: Current) -> KeyframePropagation.Network {
        let network = self.network, colorizer = self.colorizer
        return { f in
            if let reference = current.references[f.index] {
                // The film's luma wins: the reference gives only a/b.
                return NetworkChroma(width: f.width, height: f.height, luma: f.luma, a: reference.a, b: reference.b,
                                     motion: f.motion)
            }
            let own = try colorizer.chroma(luma: Tensor(shape: [f.height, f.width], data: f.luma), network: network,
                                           classCode: current.code, z: current.z, motion: f.motion)
            if let palette = current.palette { return ChromaMatch.transfer(own, toward: palette) }
            let fill = current.match?.apply(own) ?? own
            if let borrowed = current.borrowed, borrowed.frame == f.index {
                return try ChromaStream.borrow(from: borrowed.from, into: f, fill: fill)
            }
            return fill
        }
    }

    private mutating func finishShot() throws -> [NetworkChroma] {
        guard var shot = current else { return [] }
        let held = try shot.propagation.flush(network: chroma(shot))
        current = nil
        return held.flatMap { smoother.push($0, shot: shot.shot.index) }
    }
}
