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

    /// Whether a shot's frames need their motion: to carry color between keyframes, or to smooth.
    static func needed(for shot: ShotSettings, smoothing: Int) -> Bool {
        !shot.skip && (shot.keyframes != nil || smoothing > 0)
    }
}

/// The network stage of a film, shared by render and preview so that both give the same bits:
/// each frame's chroma from its shot's class code and z, through the network for keyframes and
/// carried along the motion for the rest (`KeyframePropagation`), then smoothed along the motion
/// inside the shot (`TemporalSmoother`). Frames come back in order, a little later than pushed.
struct ChromaStream {
    let network: ChromaNetwork
    let colorizer: FrameColorizer
    private var smoother: TemporalSmoother
    private var current: (shot: ShotSettings, propagation: KeyframePropagation, code: [Float], z: [Float])?

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
            current = (shot, KeyframePropagation(keyframes: shot.keyframes ?? Array(shot.range)),
                       try network.classCode(shot.classIndex), shot.z(count: network.dimZ))
        }
        let frame = LumaFrame(index: index, width: luma.shape[1], height: luma.shape[0], luma: luma.data, motion: motion)
        let network = self.network, colorizer = self.colorizer, code = current!.code, z = current!.z
        for chroma in try current!.propagation.push(frame, network: { f in
            try colorizer.chroma(luma: Tensor(shape: [f.height, f.width], data: f.luma), network: network,
                                 classCode: code, z: z, motion: f.motion)
        }) {
            out += smoother.push(chroma, shot: shot.index)
        }
        return out
    }

    /// The frames still held (the end of the last shot pushed).
    mutating func flush() throws -> [NetworkChroma] {
        try finishShot() + smoother.flush()
    }

    private mutating func finishShot() throws -> [NetworkChroma] {
        guard var shot = current else { return [] }
        let network = self.network, colorizer = self.colorizer
        let held = try shot.propagation.flush(network: { f in
            try colorizer.chroma(luma: Tensor(shape: [f.height, f.width], data: f.luma), network: network,
                                 classCode: shot.code, z: shot.z, motion: f.motion)
        })
        current = nil
        return held.flatMap { smoother.push($0, shot: shot.shot.index) }
    }
}
