"""How the recipe draws training images: class balancing and --content-boost."""

import os
import re

import pytest

pytest.importorskip("torch")

from kinecolor_training import data as D  # noqa: E402
from kinecolor_training import paths, train  # noqa: E402


def test_draw_weights_balance_classes_and_boost_content():
    classes = [1, 1, 1, 1, 2]
    contents = ["face", "face", "face", "sport", "food"]
    w = D.draw_weights(classes, contents, {"sport": 3.0})
    # class 1 has 4 images (4^-0.5 each), class 2 one; the sport image is drawn 3x as often as its class-mates
    assert w == pytest.approx([0.5, 0.5, 0.5, 1.5, 1.0])
    assert D.draw_weights(classes, contents, {}) == pytest.approx([0.5, 0.5, 0.5, 0.5, 1.0])


def test_content_boost_option():
    assert train.parse_boost("sport=2.5, vehicles=2") == {"sport": 2.5, "vehicles": 2.0}
    assert train.parse_boost("") == {} and train.parse_boost("none") == {}
    # the shipped v3's recipe (Training/README.md, "A fourth v3 run")
    assert train.RECIPE["content_boost"] == {"sport": 2.5, "vehicles": 2.5, "animals": 1.5, "people_street": 1.5}
    for bad, says in (("sports=2", "sports=2"), ("sport", "GROUP=WEIGHT"), ("sport=0", "(0, 100]"),
                      ("sport=x", "(0, 100]"), ("sport=nan", "(0, 100]")):
        with pytest.raises(ValueError, match=re.escape(says)):
            train.parse_boost(bad)


def test_content_groups_are_the_corpus_groups():
    root = paths.shared_dir("corpus")
    if not os.path.exists(os.path.join(root, "train")):
        pytest.skip("../shared/corpus is not here")
    groups = {item[4] for item in D.read_manifest(root)}
    assert groups == set(D.CONTENT_GROUPS)
