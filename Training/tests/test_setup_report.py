"""setup_report: the film's frame arithmetic, the metrics on arrays, and (with ffmpeg) the dry run and a whole run
with a stand-in for the kinecolor binary that logs its arguments and writes the color film as its output. Needs
neither the Swift binary, ../shared nor cv2 (the report measures CIEDE2000 only)."""

import json

import numpy as np
import pytest

from kinecolor_training import video_metrics
from kinecolor_training.setup_report import (boundary_pairs, expected_shots, film_filter, segments, setup_metrics,
                                             shot_text)
from report_helpers import fake_kinecolor, gray, needs_ffmpeg, write_clip


def test_pieces_and_pairs():
    assert segments(40) == {"A1": (0, 40), "B": (40, 80), "A2": (80, 120)}
    assert boundary_pairs(40, 5) == [(39, 80), (38, 81), (37, 82), (36, 83), (35, 84)]
    assert boundary_pairs(1, 1) == [(0, 2)]
    assert expected_shots(3) == [(0, 3), (3, 6), (6, 9)]
    assert shot_text(expected_shots(40)) == "1–40, 41–80, 81–120"
    for bad in ((0, 1), (3, 0), (3, 4)):
        with pytest.raises(ValueError):
            boundary_pairs(*bad)


def test_film_filter():
    f = film_filter(40, 640, 470, "705:704", "24000/1001")
    assert "[x1]trim=start_frame=0:end_frame=40," in f and "[x2]trim=start_frame=40:end_frame=80," in f
    assert "[1:v]trim=start_frame=0:end_frame=40," in f
    assert "scale=640:470:force_original_aspect_ratio=decrease" in f and "pad=640:470:" in f
    assert f.count("setsar=sar=705/704:max=705") == 3
    assert "[a1][b][a2]concat=n=3:v=1:a=0,setpts=N*1001/(24000*TB)[film]" in f
    assert "setpts=N*1/(25*TB)" in film_filter(4, 64, 48, "1:1", "25")


def frame(value, shape=(8, 10)):
    return np.broadcast_to(np.array(value, np.uint8), shape + (3,)).copy()


def test_setup_metrics():
    n, k = 3, 2
    a1 = [frame((100, 100, 100)), frame((100, 100, 100)), frame((120, 100, 90))]
    b = [frame((0, 200, 0))] * n
    a2 = [frame((90, 100, 120)), frame((100, 100, 100)), frame((100, 100, 100))]
    film = a1 + b + a2
    m = setup_metrics(iter(film), None, n, k)
    boundary = video_metrics.mean_ciede2000(a1[2], a2[0])
    assert boundary > 5
    assert m["boundary"] == pytest.approx(boundary)
    assert m["pairs"] == pytest.approx([boundary, 0.0])
    assert m["pairs_mean"] == pytest.approx(boundary / 2)
    assert m["vs_original"] == {"A1": None, "A2": None} and m["frames"] == 9

    truth = a1 + b + [frame((100, 100, 100))] * n  # the output's A2 starts off in color
    m = setup_metrics(film, truth, n, k)
    assert m["vs_original"]["A1"] == 0
    assert m["vs_original"]["A2"] == pytest.approx(video_metrics.mean_ciede2000(a2[0], truth[6]) / 3)

    with pytest.raises(ValueError, match="8 frames"):
        setup_metrics(film[:8], None, n, k)
    with pytest.raises(ValueError, match="ground truth ends"):
        setup_metrics(film, truth[:5], n, k)


# ---------------------------------------------------------------- with ffmpeg

FAKE = r'''
elif args[0] == "shots":
    write_cut_list("1,1,,,4,,,4,,\n2,5,,,8,,,4,,\n3,9,,,12,,,4,,\n")
elif args[0] == "colorize":
    gray, out = args[1], args[args.index("-o") + 1]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", gray.replace("setup_gray", "setup_color"), "-c:v", "ffv1",
                    out], check=True)
'''


def samples(tmp_path):
    """clip X: 10 frames 64x48 at 24 fps; clip Y: 6 frames 32x32 at 25 fps; each with a _gray twin."""
    folder = tmp_path / "samples"
    folder.mkdir()
    rng = np.random.default_rng(0)
    x = [rng.integers(0, 256, (48, 64, 3), dtype=np.uint8) for _ in range(10)]
    y = [rng.integers(0, 256, (32, 32, 3), dtype=np.uint8) for _ in range(6)]
    write_clip(folder / "x.nut", x, "24")
    write_clip(folder / "x_gray.nut", gray(x), "24")
    write_clip(folder / "y.nut", y, "25")
    write_clip(folder / "y_gray.nut", gray(y), "25")
    return folder, x


@needs_ffmpeg
def test_dry_run(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, _ = samples(tmp_path)
    r = run_module("setup_report", "--kinecolor", binary, "--before", "/old/kinecolor", "--samples", folder,
                   "--clip", "x", "--other", "y", "-n", 4, "--extra", "--threads 2", "--out", tmp_path / "out",
                   "--dry-run")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    builds = [line for line in lines if line.startswith("ffmpeg ")]
    assert len(builds) == 2 and "x_gray.nut" in builds[0] and "y_gray.nut" in builds[0]
    assert "x_gray" not in builds[1] and "x.nut" in builds[1] and "-r 24/1" in builds[1]
    runs = [line.split() for line in lines if " colorize " in line]
    assert [a[0] for a in runs] == ["/old/kinecolor", binary]
    assert all(a[-4:] == ["--codec", "ffv1", "--threads", "2"] for a in runs)
    assert sum(" shots " in line for line in lines) == 2
    assert not log.exists() and not (tmp_path / "out").exists()  # nothing ran


@needs_ffmpeg
def test_report_builds_the_film_and_measures(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, x = samples(tmp_path)
    out = tmp_path / "out"
    r = run_module("setup_report", "--kinecolor", binary, "--before", binary, "--samples", folder, "--clip", "x",
                   "--other", "y", "-n", 4, "-k", 2, "--out", out)
    assert r.returncode == 0, r.stderr
    # The film: A1 = x[0:4], B = y fit into 64x48, A2 = x[4:8], losslessly; the gray film has the same timing.
    film = [f.copy() for f in video_metrics.Frames(str(out / "setup_color.mkv"))]
    assert len(film) == 12 and film[0].shape == (48, 64, 3)
    assert all(np.array_equal(film[i], x[i]) for i in range(4))
    assert all(np.array_equal(film[8 + i], x[4 + i]) for i in range(4))
    data = json.loads((out / "setup_report.json").read_text())
    assert data["expected_shots"] == [[0, 4], [4, 8], [8, 12]]
    rows = {row["label"]: row for row in data["rows"]}
    assert list(rows) == ["before", "new", "color original"]
    boundary = video_metrics.mean_ciede2000(x[3], x[4])
    for row in rows.values():  # the stand-in's output is the color film itself
        assert row["metrics"]["boundary"] == pytest.approx(boundary)
        assert len(row["metrics"]["pairs"]) == 2
    for label in ("before", "new"):
        assert rows[label]["metrics"]["vs_original"] == {"A1": 0, "A2": 0}
        assert rows[label]["shots"] == [[0, 4], [4, 8], [8, 12]]
    assert sum(line.startswith("colorize") for line in log.read_text().splitlines()) == 2
    assert "(before): 1–4, 5–8, 9–12 (as built)" in r.stdout
    assert len([line for line in r.stdout.splitlines() if line.startswith("| ")]) == 4  # header and 3 rows
    assert (out / "setup_report.md").read_text().strip() == r.stdout.strip()


@needs_ffmpeg
def test_a_clip_too_short_stops_the_report(run_module, tmp_path):
    binary, log = fake_kinecolor(tmp_path, FAKE)
    folder, _ = samples(tmp_path)
    r = run_module("setup_report", "--kinecolor", binary, "--samples", folder, "--clip", "x", "--other", "y",
                   "-n", 6, "--out", tmp_path / "out")
    assert r.returncode == 1 and "the films do not match" in r.stderr, r.stderr
    assert not log.exists()
    r = run_module("setup_report", "--kinecolor", binary, "--samples", folder, "--clip", "x", "--other", "x",
                   "--dry-run")
    assert r.returncode == 1 and "B must be another setup" in r.stderr
