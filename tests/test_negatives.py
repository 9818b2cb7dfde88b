"""The "none of these" drawings: every kind draws, looks like what it says, and is never one of the characters."""

from __future__ import annotations

import numpy as np
import pytest
from drawing import DIGITS

from recognizer.preprocess import Step, preprocess
from recognizer.training import negatives
from recognizer.training.render import CANVAS

SEVEN = [np.array(s, np.float32) for s in DIGITS["7"]]
THREE = [np.array(s, np.float32) for s in DIGITS["3"]]


@pytest.mark.parametrize("kind", negatives.KINDS)
def test_every_kind_draws_a_canvas_with_ink(kind: str) -> None:
    rng = np.random.default_rng(0)
    payload = {"crossed out": THREE, "partial": THREE, "pair": [SEVEN, THREE], "foreign": "ᚠ"}.get(kind)
    image, background = negatives.draw((kind, payload), rng)
    assert image.shape == (CANVAS, CANVAS) and image.dtype == np.uint8
    assert int(image.max()) - int(image.min()) > 100, "ink that stands out from the canvas"
    assert background == (negatives.INKED_BACKGROUND if kind == "inked" else None)


@pytest.mark.parametrize("kind", [k for k in negatives.SHAPES if k != "blob"])
def test_shapes_reach_the_model_as_drawings(kind: str) -> None:
    rng = np.random.default_rng(1)
    drawn = [negatives.draw((kind, None), rng) for _ in range(20)]
    blank = sum(preprocess(image, background=background).is_blank for image, background in drawn)
    assert blank <= 2, f"{kind}: {blank} of 20 came out blank"


def test_filled_blobs_are_blank_or_drawn() -> None:
    """A round blob is "only a dot or a blob" for the preprocessing; a long one reaches the model as a negative."""
    rng = np.random.default_rng(2)
    reasons = {preprocess(negatives.draw(("blob", None), rng)[0]).blank_reason for _ in range(30)}
    assert None in reasons and any(r and "blob" in r for r in reasons)


def test_make_gives_every_kind_and_foreign_characters_most_often() -> None:
    rng = np.random.default_rng(0)
    items = negatives.make(3000, rng, own=[SEVEN], foreign=["ᚠ"])
    counts = {k: sum(kind == k for kind, _ in items) for k in negatives.KINDS}
    assert all(counts.values()), counts
    assert counts["foreign"] > 2 * counts["scribble"]
    assert all(p is SEVEN for kind, p in items if kind in ("crossed out", "partial"))
    assert all(len(p) == 2 and all(q is SEVEN for q in p) for kind, p in items if kind == "pair")


def test_kinds_that_need_characters_are_left_out_without_them() -> None:
    items = negatives.make(200, np.random.default_rng(0))
    assert {kind for kind, _ in items} == set(negatives.SHAPES)
    assert negatives.make(5, np.random.default_rng(0), kinds=["foreign"]) == []


def test_a_partial_stroke_is_a_curved_piece_of_the_character() -> None:
    rng = np.random.default_rng(3)
    points = np.concatenate(THREE)
    lo, hi = points.min(axis=0), points.max(axis=0)
    for _ in range(50):
        piece = negatives._partial(THREE, rng)
        if piece is None:
            continue
        p = np.concatenate(piece)
        assert not negatives._is_straight(p), "a straight piece would be a 1"
        assert (p >= lo - 1e-6).all() and (p <= hi + 1e-6).all()
        assert len(p) < len(points)
    assert negatives._partial([np.array([[0, 0], [0, 1], [0, 2.0]])], rng) is None, "a straight line is a 1"


def test_a_crossed_out_character_keeps_its_strokes_and_gets_a_scratch_as_wide_as_it_is_tall() -> None:
    one = [np.array([[0.5, 0.0], [0.5, 1.0]])]
    for seed in range(10):
        crossed = negatives._crossed_out(one, np.random.default_rng(seed))
        assert crossed[0] is one[0] and len(crossed) >= 2
        scratch = np.concatenate(crossed[1:])
        assert np.ptp(scratch[:, 0]) > 0.6, "the scratch covers a square, so an I crossed out is no X"


def test_a_pair_is_two_characters_side_by_side_close_together() -> None:
    rng = np.random.default_rng(4)
    for _ in range(20):
        image, _ = negatives.draw(("pair", [SEVEN, THREE]), rng)
        ink = preprocess(image).steps
        mask = ink[Step.MASK] > 0
        cols = np.flatnonzero(mask.any(axis=0))
        rows = np.flatnonzero(mask.any(axis=1))
        width, height = cols[-1] - cols[0], rows[-1] - rows[0]
        assert 0.9 * height < width < 2.2 * height, "wider than one digit, as two digits are"
