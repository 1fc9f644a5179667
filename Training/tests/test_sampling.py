"""How the recipe draws training images: class balancing and the boost of weak content groups."""

import pytest

pytest.importorskip("torch")

from kinecolor_training import data as D  # noqa: E402
from kinecolor_training import train  # noqa: E402


def test_draw_weights_balance_classes_and_boost_content():
    classes = [1, 1, 1, 1, 2]
    contents = ["face", "face", "face", "sport", "food"]
    w = D.draw_weights(classes, contents, {"sport": 3.0})
    # class 1 has 4 images (4^-0.5 each), class 2 one; the sport image is drawn 3x as often as its class-mates
    assert w == pytest.approx([0.5, 0.5, 0.5, 1.5, 1.0])
    assert D.draw_weights(classes, contents, {}) == pytest.approx([0.5, 0.5, 0.5, 0.5, 1.0])


def test_recipe_boosts_the_groups_v3_colored_worse_than_gray():
    boost = train.RECIPE["content_boost"]
    for group in ("sport", "vehicles", "animals", "people_street"):
        assert boost[group] > 1
        assert group in D.CONTENT_CLASS  # a real manifest content group, not a typo
