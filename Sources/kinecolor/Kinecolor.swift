import ArgumentParser

struct Kinecolor: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kinecolor",
        abstract: "Colorize black-and-white films and photos on the CPU.",
        discussion: """
        Shots are detected, each shot is colorized with a fixed class code and z, chroma is smoothed \
        over time inside each shot, and the original luma and audio are kept.
        """,
        version: "0.1.0",
        subcommands: [Colorize.self, Image.self, Preview.self, Shots.self, Plan.self, Render.self, Assemble.self, Sheet.self,
                      ReferenceFrame.self] + reviewCommand + [ModelCommand.self, MotionCommand.self])
}

// The sanitizer build leaves the review server out (Package.swift).
#if canImport(KinecolorReview)
private let reviewCommand: [ParsableCommand.Type] = [Review.self]
#else
private let reviewCommand: [ParsableCommand.Type] = []
#endif
