"""Default data folders: $KINECOLOR_SHARED, else ../shared next to the repository."""

import os

from kinecolor_training import paths


def test_repo_root_is_this_checkout():
    root = paths.repo_root()
    assert os.path.isfile(os.path.join(root, "Package.swift"))
    assert os.path.samefile(root, os.path.join(os.path.dirname(__file__), "..", ".."))
    assert paths.repo_path("Docs", "quality.md") == os.path.join(root, "Docs", "quality.md")


def test_shared_dir_default_and_override(monkeypatch, tmp_path):
    monkeypatch.delenv("KINECOLOR_SHARED", raising=False)
    assert paths.shared_dir("corpus") == os.path.join(os.path.dirname(paths.repo_root()), "shared", "corpus")
    monkeypatch.setenv("KINECOLOR_SHARED", str(tmp_path))
    assert paths.shared_dir("samples") == os.path.join(str(tmp_path), "samples")


def test_a_tool_resolves_its_default_from_kinecolor_shared(tmp_path, run_module):
    # pipeline_report's --samples default; it stops before running anything when the folder is missing.
    r = run_module("pipeline_report", "--kinecolor", "/nonexistent", env=dict(os.environ, KINECOLOR_SHARED=str(tmp_path)),
                   cwd=tmp_path)
    assert r.returncode != 0
    assert r.stderr.strip() == f"{tmp_path}/samples: samples folder not found"
