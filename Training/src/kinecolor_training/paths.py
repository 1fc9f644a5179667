"""Where the repository and the shared data folder are, for the tools' default arguments.

The shared folder (corpus, samples) sits next to the repository, as `../shared` seen from its root;
the environment variable KINECOLOR_SHARED names another one. The repository root is the first folder
holding Package.swift and Training/ above this package (a checkout, installed editable or used through
PYTHONPATH), else above the working directory.
"""

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _is_repo_root(path):
    return os.path.isfile(os.path.join(path, "Package.swift")) and os.path.isdir(os.path.join(path, "Training"))


def repo_root():
    """The Kinecolor repository's root folder."""
    for start in (PACKAGE_DIR, os.getcwd()):
        path = os.path.abspath(start)
        while True:
            if _is_repo_root(path):
                return path
            parent = os.path.dirname(path)
            if parent == path:
                break
            path = parent
    raise RuntimeError(f"no Kinecolor repository (a folder with Package.swift and Training/) above {PACKAGE_DIR} "
                       f"or the working directory {os.getcwd()}; give the path explicitly")


def repo_path(*parts):
    """A path inside the repository, e.g. repo_path("Docs", "quality.md")."""
    return os.path.join(repo_root(), *parts)


def shared_dir(*parts):
    """$KINECOLOR_SHARED, else `../shared` next to the repository root; with parts, a path inside it."""
    base = os.environ.get("KINECOLOR_SHARED") or os.path.join(os.path.dirname(repo_root()), "shared")
    return os.path.join(base, *parts)
