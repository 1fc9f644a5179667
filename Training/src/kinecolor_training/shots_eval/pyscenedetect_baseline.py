"""Optional baseline: PySceneDetect's detectors on the same clips and scoring.

Needs `pip install scenedetect-headless` (not a project dependency).
Usage: python3 -m kinecolor_training.shots_eval.pyscenedetect_baseline [--dir /tmp/kinecolor_shots_eval]
Prints tp/fp/fn per clip and detector, then P/R/F1 per detector (+-1 frame).
"""
import glob
import json
import os
import sys

from .reference_detector import match


def main():
    try:
        from scenedetect import AdaptiveDetector, ContentDetector, detect
    except ImportError:
        sys.exit("needs PySceneDetect: pip install scenedetect-headless")
    folder = sys.argv[sys.argv.index("--dir") + 1] if "--dir" in sys.argv else "/tmp/kinecolor_shots_eval"
    # Defaults, and luma_only=True: on gray video hue and saturation are 0, so the
    # default HSV average sees a third of the luma change.
    detectors = {"adaptive": lambda: AdaptiveDetector(),
                 "adaptive-luma": lambda: AdaptiveDetector(luma_only=True),
                 "content-luma": lambda: ContentDetector(luma_only=True)}
    totals = {k: [0, 0, 0] for k in detectors}
    for path in sorted(glob.glob(os.path.join(folder, "*.json"))):
        if path.endswith(".detected.json"):
            continue
        meta = json.load(open(path))
        video = meta["video"]
        line = f"{meta['name']:24s}"
        for name, make in detectors.items():
            scenes = detect(video, make())
            found = [s.frame_num for s, _ in scenes[1:]]
            tp, fp, fn = match(meta["cuts"], found)
            totals[name] = [a + b for a, b in zip(totals[name], (tp, fp, fn))]
            line += f" {name}: {tp:2d}/{fp}/{fn}"
        print(line)
    for name, (tp, fp, fn) in totals.items():
        p, r = tp / max(1, tp + fp), tp / max(1, tp + fn)
        print(f"{name:14s} P={p:.3f} R={r:.3f} F1={2 * p * r / max(1e-9, p + r):.3f}")


if __name__ == "__main__":
    main()
