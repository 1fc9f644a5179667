"""The per-group table of Docs/quality.md says how far each group's few images let it be trusted."""

import math

import numpy as np
import pytest

pytest.importorskip("torch")
from kinecolor_training.evaluate import difference_se, group_table  # noqa: E402


def test_the_standard_error_is_that_of_the_paired_differences():
    # The differences are 1, 3, 5: their spread (2) over the square root of their count.
    assert difference_se([11, 13, 15], [10, 10, 10]) == pytest.approx(2 / math.sqrt(3))
    # The same pictures move together: a spread in both that cancels in the difference is no doubt.
    assert difference_se([10, 20, 30], [11, 21, 31]) == pytest.approx(0)
    assert math.isnan(difference_se([10], [11]))


def test_the_group_table_shows_each_groups_standard_error():
    metrics = lambda de, cf=0.5: np.array([de, de, 26.0, cf])  # noqa: E731
    res = {"groups": {
        "sport": {"kc": metrics(14.0), "gray": metrics(13.9, 0.0), "n": 25, "se": 0.47},
        "vehicles": {"kc": metrics(8.0), "gray": metrics(8.5, 0.0), "n": 1, "se": float("nan")},
    }}
    lines = group_table(res, {}, 25, 997)
    header = next(line for line in lines if line.startswith("| group"))
    assert [c.strip() for c in header.strip("|").split("|")][4:6] == ["ours − gray", "s.e."]
    sport = next(line for line in lines if line.startswith("| sport"))
    assert [c.strip() for c in sport.strip("|").split("|")][4:6] == ["+0.10", "0.47"]
    vehicles = next(line for line in lines if line.startswith("| vehicles"))
    assert [c.strip() for c in vehicles.strip("|").split("|")][4:6] == ["-0.50", "–"]
