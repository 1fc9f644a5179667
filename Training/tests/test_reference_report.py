"""reference_report's frame choice and commands, and its plumbing with a stand-in for the kinecolor binary that
logs its arguments and writes the gray twin (no reference) or the color twin (with references) as its output, so
that `auto` has a CIEDE2000 above 0 and the reference modes 0."""

import json
import os

import numpy as np
import pytest

from kinecolor_training import video_metrics
from kinecolor_training.reference_report import (colorize_command, extract_command, parse_positions,
                                                 reference_frames, reference_index, single_labels,
                                                 single_reference)
from report_helpers import fake_kinecolor, needs_ffmpeg, samples

# Shots 1-3 and 4-6 (1-based, inclusive), or with KINECOLOR_FAKE_SHOTS=past one past the clip's 6 frames.
FAKE = r'''
elif args[0] == "shots":
    rows = "1,1,,,3,,,3,,\n2,4,,,6,,,3,,\n"
    if os.environ.get("KINECOLOR_FAKE_SHOTS") == "past":
        rows += "3,7,,,9,,,3,,\n"
    write_cut_list(rows)
elif args[0] == "colorize":
    gray, out = args[1], args[args.index("-o") + 1]
    refs = [args[i + 1] for i, a in enumerate(args) if a == "--reference"]
    for r in refs:
        frame, image = r.split("=", 1)
        if not os.path.isfile(image):
            sys.exit(f"Error: --reference {r}: no such image")
    print("warning: a word from the binary", file=sys.stderr)
    source = gray.replace("_gray", "") if refs else gray
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", source, "-c:v", "ffv1", out], check=True)
'''


# ---------------------------------------------------------------- pure functions

def test_reference_index():
    assert [reference_index(s, e, "first") for s, e in [(0, 1), (0, 6), (3, 6), (10, 14)]] == [0, 0, 3, 10]
    assert [reference_index(s, e, "middle") for s, e in [(0, 1), (0, 6), (3, 6), (10, 14), (10, 15)]] == [0, 2, 4, 11, 12]
    with pytest.raises(ValueError):
        reference_index(0, 5, "last")
    with pytest.raises(ValueError):
        reference_index(5, 5, "first")


def test_parse_positions():
    assert parse_positions("first,middle") == ["first", "middle"]
    assert parse_positions(" middle ") == ["middle"]
    for bad in ("first,first", "last", "first,"):
        with pytest.raises(ValueError):
            parse_positions(bad)


def test_reference_frames_and_commands():
    refs = reference_frames([(0, 3), (3, 6)], "middle", "refs")
    assert [(r["shot"], r["index"], r["frame"]) for r in refs] == [(1, 1, 2), (2, 4, 5)]
    assert refs[1]["image"] == "refs/frame-000005.png"
    cmd = colorize_command("kc", "g.mp4", "o.mkv", refs, "--codec ffv1", "--threads 2")
    assert cmd == ["kc", "colorize", "g.mp4", "-o", "o.mkv", "-y", "-q", "--codec", "ffv1",
                   "--reference", "2=refs/frame-000002.png", "--reference", "5=refs/frame-000005.png", "--threads", "2"]
    assert colorize_command("kc", "g.mp4", "o.mkv", [])[-2:] == ["--codec", "ffv1"]
    assert extract_command("c.mp4", 4, "f.png") == ["ffmpeg", "-v", "error", "-y", "-i", "c.mp4", "-vf",
                                                    "select=eq(n\\,4)", "-vsync", "0", "-frames:v", "1", "f.png"]


def test_help_explains_the_protocol(run_module):
    r = run_module("reference_report", "--help")
    assert r.returncode == 0, r.stderr
    assert "exemplar-based" in r.stdout and "(start + end - 1) // 2" in r.stdout and "select=eq(n\\,N)" in r.stdout


# ---------------------------------------------------------------- with ffmpeg and the stand-in binary

@needs_ffmpeg
def test_dry_run_prints_templates_and_alternates(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, _ = samples(tmp_path)
    r = run_module("reference_report", "--kinecolor", binary, "--samples", folder, "--rounds", 2,
                   "--extra", "--threads 2", "--out", tmp_path / "out", "--dry-run")
    assert r.returncode == 0, r.stderr
    runs = [line.split() for line in r.stdout.splitlines() if " colorize " in line]
    modes = ["auto" if "--reference" not in a else a[a.index("--reference") + 1].split("/")[-2] for a in runs]
    assert modes == ["auto", "first", "middle", "middle", "first", "auto"]
    assert all("--threads" in a and "ffv1" in a for a in runs)
    assert "select=eq(n\\,N)" in r.stdout
    assert not log.exists() and not (tmp_path / "out").exists()  # nothing ran


@needs_ffmpeg
def test_dry_run_uses_an_existing_cut_list(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, _ = samples(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "clip.csv").write_text("Scene Number,Start Frame,End Frame\n1,1,3\n2,4,6\n")
    r = run_module("reference_report", "--kinecolor", binary, "--samples", folder, "--out", out, "--dry-run")
    assert r.returncode == 0, r.stderr
    runs = [line.split() for line in r.stdout.splitlines() if " colorize " in line]
    frames = [[a[i + 1].split("=")[0] for i, x in enumerate(a) if x == "--reference"] for a in runs]
    assert frames == [[], ["1", "4"], ["2", "5"]]
    assert sum(line.startswith("ffmpeg ") for line in r.stdout.splitlines()) == 4
    assert not log.exists()


@needs_ffmpeg
def test_report_extracts_runs_and_measures(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, color = samples(tmp_path)
    out = tmp_path / "out"
    r = run_module("reference_report", "--kinecolor", binary, "--samples", folder, "--out", out)
    assert r.returncode == 0, r.stderr
    calls = [line for line in log.read_text().splitlines() if line.startswith("colorize")]
    assert len(calls) == 3 and sum("--reference" not in c for c in calls) == 1
    assert "clip reference@first: warning: a word from the binary" in r.stderr

    # The references are the color original's frames, losslessly.
    for n in (0, 1, 3, 4):
        (png,) = (out / "clip.references").glob(f"*/frame-{n + 1:06d}.png")
        (picture,) = list(video_metrics.Frames(str(png)))
        assert np.array_equal(picture, color[n])

    data = json.loads((out / "reference_report.json").read_text())
    clip = data["clips"][0]
    assert data["modes"] == ["auto", "reference@first", "reference@middle"]
    assert clip["shots"] == [[0, 3], [3, 6]]
    assert [x["frame"] for x in clip["references"]["reference@middle"]] == [2, 5]
    auto = clip["modes"]["auto"]
    assert auto["ciede2000"] > 1 and len(auto["ciede2000_shots"]) == 2
    assert np.mean(auto["ciede2000_shots"]) == pytest.approx(auto["ciede2000"])  # equal shots: mean of the means
    for label in ("reference@first", "reference@middle"):
        m = clip["modes"][label]
        assert m["ciede2000"] == pytest.approx(0, abs=1e-9) and m["d_ciede2000_pct"] == pytest.approx(-100)
        assert m["d_ciede2000_shots_pct"] == pytest.approx([-100, -100]) and len(m["times"]) == 1
    text = (out / "reference_report.md").read_text()
    assert text.strip() == r.stdout.strip()
    assert "| reference@middle |" in text and "| **mean** auto |" in text and "| 2 | 4–6 (3) |" in text
    assert "-100.0 %" in text
    # The color twin measured as an output: what the truth's own CDC and warping error are.
    original = clip["original (the color twin)"]
    assert original["ciede2000"] == pytest.approx(0, abs=1e-9) and original["cdc"] is not None
    assert original["colorfulness"] == pytest.approx(original["colorfulness_gt"])
    assert "| original (the color twin) | n/a | 0.00 | — |" in text
    assert "| **mean** original (the color twin) |" in text


@needs_ffmpeg
def test_a_reference_past_the_end_stops_the_report(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, _ = samples(tmp_path)
    r = run_module("reference_report", "--kinecolor", binary, "--samples", folder, "--positions", "first",
                   "--out", tmp_path / "out", env={**os.environ, "KINECOLOR_FAKE_SHOTS": "past"})
    assert r.returncode == 1
    assert "frame 7 (shot 3)" in r.stderr and "no picture" in r.stderr, r.stderr
    assert not any(line.startswith("colorize") for line in log.read_text().splitlines())


def test_bad_positions_are_refused(run_module, tmp_path):
    r = run_module("reference_report", "--kinecolor", "kc", "--positions", "first,last", "--dry-run")
    assert r.returncode == 2 and "'last' is not one of first, middle" in r.stderr


# ---------------------------------------------------------------- --single: one reference for the film

def test_single_reference_finds_its_shot():
    shots = [(0, 3), (3, 6)]
    (r,) = single_reference(shots, 5, "refs")
    assert (r["shot"], r["start"], r["end"], r["index"], r["frame"]) == (2, 3, 6, 4, 5)
    assert r["image"] == "refs/frame-000005.png"
    assert single_reference(shots, 1, "refs")[0]["shot"] == 1
    with pytest.raises(ValueError, match="end at frame 6"):
        single_reference(shots, 7, "refs")
    assert single_labels(10) == ["single@10", "single@10 --no-setups"]


@needs_ffmpeg
def test_single_gives_one_frame_with_and_without_setups(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, color = samples(tmp_path)
    out = tmp_path / "out"
    r = run_module("reference_report", "--kinecolor", binary, "--samples", folder, "--single", 5, "--out", out)
    assert r.returncode == 0, r.stderr
    calls = [line.split() for line in log.read_text().splitlines() if line.startswith("colorize")]
    assert len(calls) == 3
    refs = [[a[i + 1].split("=")[0] for i, x in enumerate(a) if x == "--reference"] for a in calls]
    assert refs == [[], ["5"], ["5"]]
    assert ["--no-setups" in a for a in calls] == [False, False, True]
    (png,) = (out / "clip.references" / "single").glob("frame-*.png")
    assert png.name == "frame-000005.png" and np.array_equal(next(iter(video_metrics.Frames(str(png)))), color[4])
    data = json.loads((out / "reference_report.json").read_text())
    assert data["single"] == 5 and data["modes"] == ["auto", "single@5", "single@5 --no-setups"]
    text = (out / "reference_report.md").read_text()
    # Shot 2 holds frame 5: its row names it; shot 1's does not.
    assert "| 2 | 4–6 (3) |" in text and "0.00 (5)" in text
    row1 = next(line for line in text.splitlines() if line.startswith("| 1 | 1–3 (3) |"))
    assert "(5)" not in row1


def test_single_past_the_film_or_below_1_is_refused(run_module, tmp_path):
    r = run_module("reference_report", "--kinecolor", "kc", "--single", 0, "--dry-run")
    assert r.returncode == 2 and "frames count from 1" in r.stderr
