import os
import subprocess
import sys

import pytest

import kinecolor_training

# The folder that holds the package under test (Training/src in a checkout), for child processes.
PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(kinecolor_training.__file__)))


@pytest.fixture
def run_module():
    """Runs `python -m kinecolor_training.NAME ARGS...` on the package under test; returns the CompletedProcess."""
    def run(name, *args, env=None, cwd=None):
        env = dict(os.environ if env is None else env)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (PACKAGE_PARENT, env.get("PYTHONPATH", "")) if p)
        env.setdefault("OMP_NUM_THREADS", "1")
        return subprocess.run([sys.executable, "-m", f"kinecolor_training.{name}", *map(str, args)],
                              env=env, cwd=cwd, capture_output=True, text=True)
    return run
