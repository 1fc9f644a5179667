"""keyframes_report's plumbing, with a stand-in for the kinecolor binary that logs its arguments and
writes the color twin as its output (so every mode's CIEDE2000 against the original is 0)."""

import json
import os

import pytest

from kinecolor_training.keyframes_report import find_clips
from report_helpers import fake_kinecolor, needs_ffmpeg, samples as one_clip

FAKE = r'''
elif args[0] == "shots":
    write_cut_list("1,1,,,3,,,3,,\n2,4,,,6,,,3,,\n")
elif args[0] == "colorize":
    gray, out = args[1], args[args.index("-o") + 1]
    if "--keyframes" in args and args[args.index("--keyframes") + 1] == "bad":
        sys.exit("Error: --keyframes bad: not auto, all or a number")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", gray.replace("_gray", ""), "-c:v", "ffv1", out], check=True)
'''


def samples(tmp_path):
    """The one-clip samples folder, with two files find_clips passes over."""
    folder, _ = one_clip(tmp_path)
    (folder / "still_gray.png").write_bytes(b"")   # not a video: ignored
    (folder / "lonely_gray.nut").write_bytes(b"")  # no color twin: ignored
    return folder


def test_find_clips(tmp_path):
    for name in ("a.mp4", "a_gray.mp4", "b.avi", "b_gray.avi", "c_gray.mp4", "d.jpg", "d_gray.png", "e.mkv", "e_gray.mp4"):
        (tmp_path / name).write_bytes(b"")
    got = [(stem, os.path.basename(g), os.path.basename(c)) for stem, g, c in find_clips(str(tmp_path))]
    assert got == [("a", "a_gray.mp4", "a.mp4"), ("b", "b_gray.avi", "b.avi"), ("e", "e_gray.mp4", "e.mkv")]


@needs_ffmpeg
def test_dry_run_alternates_the_modes(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    r = run_module("keyframes_report", "--kinecolor", binary, "--samples", samples(tmp_path), "--modes", "all,auto,8",
                   "--rounds", 2, "--model", "m.safetensors", "--extra", "--threads 2", "--out", tmp_path / "out",
                   "--dry-run")
    assert r.returncode == 0, r.stderr
    runs = [line.split() for line in r.stdout.splitlines() if " colorize " in line]
    assert [a[a.index("--keyframes") + 1] for a in runs] == ["all", "auto", "8", "8", "auto", "all"]
    assert all(a[a.index("--model") + 1] == "m.safetensors" and a[-2:] == ["--threads", "2"] and "ffv1" in a
               for a in runs)
    assert not log.exists()  # nothing ran


@needs_ffmpeg
def test_report_runs_times_and_measures(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    out = tmp_path / "out"
    r = run_module("keyframes_report", "--kinecolor", binary, "--samples", samples(tmp_path), "--modes", "all,auto",
                   "--rounds", 2, "--today", binary, "--out", out)
    assert r.returncode == 0, r.stderr
    calls = [line for line in log.read_text().splitlines() if line.startswith("colorize")]
    assert len(calls) == 6 and sum("--keyframes" not in c for c in calls) == 2  # 'today' runs without the flag
    rows = [line for line in r.stdout.splitlines() if line.startswith("| ")][1:]  # after the header
    assert len(rows) == 6 and "| all |" in rows[0] and "| today |" in rows[2], r.stdout
    data = json.loads((out / "keyframes_report.json").read_text())
    modes = data["clips"][0]["modes"]
    assert set(modes) == {"all", "auto", "today"}
    for m in modes.values():
        assert len(m["times"]) == 2 and m["speedup"] > 0
        assert m["ciede2000"] == pytest.approx(0, abs=1e-9) and m["d_ciede2000"] == pytest.approx(0, abs=1e-9)
        assert m["metrics"]["shots"] == 2
    assert modes["all"]["speedup"] == 1
    assert (out / "keyframes_report.md").read_text().strip() == r.stdout.strip()


@needs_ffmpeg
def test_a_failing_run_stops_the_report(run_module, tmp_path):
    binary, _ = fake_kinecolor(tmp_path, FAKE)
    r = run_module("keyframes_report", "--kinecolor", binary, "--samples", samples(tmp_path), "--modes", "all,bad",
                   "--rounds", 1, "--out", tmp_path / "out")
    assert r.returncode == 1
    assert "kinecolor colorize failed (exit 1)" in r.stderr and "--keyframes bad" in r.stderr
