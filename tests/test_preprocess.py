"""Preprocessing on synthetic drawings: every way of drawing the same stroke ends as the same 28x28 input."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from drawing import digit, noisy_photo, rgba_on_transparent
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from recognizer.preprocess import (
    BOX_SIZE,
    MODEL_SIZE,
    SKIPPABLE,
    STROKE_WIDTH,
    Step,
    _tails,
    bounding_box,
    centre_by_mass,
    find_ink,
    fit_background,
    normalise,
    preprocess,
    stroke_width,
    to_grayscale,
)


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    idx = np.arange(image.shape[0])
    total = image.sum()
    return np.array([image.sum(axis=1) @ idx, image.sum(axis=0) @ idx]) / total


REFERENCE = preprocess(digit("7")).model_input

VARIANTS = {
    "black on white": 255 - digit("7"),
    "transparent RGBA, black ink": rgba_on_transparent(digit("7")),
    "transparent RGBA, white ink": rgba_on_transparent(digit("7"), (255, 255, 255)),
    "opaque RGB canvas": np.dstack([digit("7")] * 3),
    "noisy unevenly lit photo": noisy_photo(digit("7", size=600, width=8)),
    "off-centre": digit("7", scale=0.35, offset=(0.25, -0.2)),
    "tiny": digit("7", scale=0.09, width=3),
    "huge": digit("7", size=2400, width=150),
    "thin": digit("7", width=2),
    "thick": digit("7", width=40),
    "not square": digit("7", size=280)[:, 40:240],
}


@pytest.mark.parametrize("name", VARIANTS)
def test_same_stroke_gives_same_input(name: str) -> None:
    result = preprocess(VARIANTS[name])
    assert not result.is_blank
    x = result.model_input
    assert x.shape == (MODEL_SIZE, MODEL_SIZE) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0
    assert np.abs(centre_of_mass(x) - 14.0).max() < 1.0, "centred by centre of mass"
    assert np.abs(x - REFERENCE).mean() < 0.06, "close to the reference drawing"


def test_polarity_is_reported() -> None:
    assert preprocess(digit("7")).polarity == "light ink on dark"
    assert preprocess(255 - digit("7")).polarity == "dark ink on light"
    assert preprocess(noisy_photo(digit("7"))).polarity == "dark ink on light"


def test_character_fills_a_20x20_box_like_mnist() -> None:
    x = preprocess(digit("1")).model_input
    rows, cols = np.flatnonzero(x.max(axis=1) > 0), np.flatnonzero(x.max(axis=0) > 0)
    assert rows[-1] - rows[0] + 1 == BOX_SIZE
    assert cols[-1] - cols[0] + 1 < BOX_SIZE, "aspect ratio kept: a 1 is narrow"


def test_soft_edges_like_the_training_data() -> None:
    x = preprocess(digit("0")).model_input
    edge = (x > 0.05) & (x < 0.95)
    assert edge.sum() > 0.2 * (x > 0.05).sum(), "anti-aliased stroke edges"


def test_steps_are_in_order_and_end_with_model_input() -> None:
    result = preprocess(np.dstack([digit("3")] * 3 + [np.full((280, 280), 255, np.uint8)]))
    names = list(result.steps)
    # The names people read under the pictures on the Draw page:
    assert names == ["input", "grayscale", "background", "ink", "mask", "cropped", "strokes", "box", "model input"]
    assert result.steps[Step.MODEL_INPUT] is result.model_input


def test_mnist_image_is_left_nearly_as_is() -> None:
    # A 28x28 image already in the MNIST convention must not be distorted.
    x = preprocess(digit("3")).model_input
    again = preprocess(np.rint(x * 255).astype(np.uint8)).model_input
    assert np.abs(again - x).mean() < 0.04


@pytest.mark.parametrize(
    ("name", "image", "reason"),
    [
        ("empty", np.zeros((280, 280), np.uint8), "one flat colour"),
        ("uniform grey", np.full((100, 150), 180, np.uint8), "one flat colour"),
        ("fully inked RGBA", np.full((280, 280, 4), 255, np.uint8), "one flat colour"),
        ("transparent", np.zeros((280, 280, 4), np.uint8), "one flat colour"),
        ("faint noise", np.random.default_rng(0).normal(128, 10, (280, 280)).clip(0, 255).astype(np.uint8), "noise"),
        ("salt noise", (np.random.default_rng(1).random((280, 280)) < 0.002).astype(np.uint8) * 255, "noise"),
        ("a dot", digit("1", scale=0.0, width=20), "dot"),
    ],
)
def test_blank_inputs_are_reported_not_classified(name: str, image: np.ndarray, reason: str) -> None:
    result = preprocess(image)
    assert result.is_blank
    assert reason in result.blank_reason
    assert not result.model_input.any()


@pytest.mark.parametrize(
    "bad",
    [
        np.zeros((28, 28), np.float32),
        np.zeros((28, 28), np.int64),
        np.zeros((28,), np.uint8),
        np.zeros((28, 28, 2), np.uint8),
        np.zeros((4, 28, 28, 1), np.uint8),
        np.zeros((7, 40), np.uint8),
        [[0, 1], [1, 0]],
    ],
)
def test_invalid_input_raises_value_error(bad) -> None:
    with pytest.raises(ValueError, match="expected"):
        preprocess(bad)


def test_grayscale_composites_transparency_against_the_ink() -> None:
    dark_ink = to_grayscale(rgba_on_transparent(digit("7")))
    assert dark_ink[0, 0] == 255 and dark_ink.min() == 0
    light_ink = to_grayscale(rgba_on_transparent(digit("7"), (255, 255, 255)))
    assert light_ink[0, 0] == 0 and light_ink.max() == 255


def test_background_fit_follows_uneven_lighting_not_ink() -> None:
    ramp = np.tile(np.linspace(100, 220, 200, dtype=np.float32), (200, 1))
    ink = digit("8", size=200, width=12) > 0
    image = np.where(ink, 20, ramp).astype(np.uint8)
    background = fit_background(image)
    assert np.abs(background - ramp).max() < 8


def test_stroke_width_is_measured_and_normalised() -> None:
    for width in (4, 10, 24):
        mask = digit("7", width=width) > 127
        assert abs(stroke_width(mask) - width) <= 2
    widths = [stroke_width(preprocess(digit("7", width=w)).steps["strokes"] > 0) for w in (3, 12, 40)]
    target = STROKE_WIDTH * max(preprocess(digit("7")).steps["strokes"].shape)
    assert all(abs(w - target) <= 0.25 * target for w in widths), (widths, target)


def test_centre_by_mass_puts_the_mass_at_14() -> None:
    box = np.zeros((20, 10), np.float32)
    box[:, :3] = 1.0
    out = centre_by_mass(box)
    assert out.shape == (28, 28) and out.sum() == box.sum()
    assert np.abs(centre_of_mass(out) - 14.0).max() <= 0.5


@settings(max_examples=80, deadline=None)
@given(
    arrays(
        np.float32,
        st.tuples(st.integers(8, 60), st.integers(8, 60)),
        elements=st.floats(-255, 255, width=32) | st.sampled_from([0.0, 255.0, -255.0]),
    )
)
@example(np.where(np.eye(8, dtype=bool), 255, 0).astype(np.float32))  # a canvas: both ends flat
def test_the_tails_are_the_means_of_the_sorted_extremes(values: np.ndarray) -> None:
    flat = np.sort(values.ravel())
    k = min(flat.size // 2, max(4, int(flat.size * 0.002)))
    np.testing.assert_allclose(_tails(values), (flat[:k].mean(), flat[-k:].mean()), rtol=1e-5, atol=1e-3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    arrays(
        np.uint8,
        st.tuples(st.integers(8, 300), st.integers(8, 300), st.sampled_from([0, 3, 4])).map(
            lambda s: s[:2] if s[2] == 0 else s
        ),
        elements=st.integers(0, 255),
    )
)
def test_any_valid_image_never_crashes(image: np.ndarray) -> None:
    result = preprocess(image)
    assert result.model_input.shape == (MODEL_SIZE, MODEL_SIZE)
    assert result.model_input.dtype == np.float32
    assert np.isfinite(result.model_input).all()
    assert 0.0 <= result.model_input.min() and result.model_input.max() <= 1.0


@settings(max_examples=40, deadline=None)
@given(
    st.one_of(
        arrays(st.sampled_from([np.float32, np.float64, np.int16, np.bool_]), (16, 16)),
        arrays(np.uint8, st.tuples(st.integers(0, 7), st.integers(0, 40))),
        arrays(np.uint8, st.tuples(st.integers(8, 20), st.integers(8, 20), st.sampled_from([1, 2, 5]))),
    )
)
def test_any_invalid_image_raises_value_error(image: np.ndarray) -> None:
    with pytest.raises(ValueError):
        preprocess(image)


# --- the public stages and skipping steps -------------------------------------------------------------------------


def canvas_rgba(image: np.ndarray) -> np.ndarray:
    """White ink on an opaque black RGBA canvas, as the app's canvas sends a drawing."""
    return np.dstack([image] * 3 + [np.full(image.shape, 255, np.uint8)])


def box_size(image: np.ndarray) -> tuple[int, int]:
    rows, cols = bounding_box(image > 0.05)
    return rows.stop - rows.start, cols.stop - cols.start


@pytest.mark.parametrize(
    "image",
    [canvas_rgba(digit("3")), 255 - digit("5"), noisy_photo(digit("2", size=400, width=8))],
    ids=["canvas", "black on white", "photo"],
)
@pytest.mark.parametrize(
    "skip", [frozenset(), frozenset({Step.MASK, Step.STROKES, Step.MODEL_INPUT})], ids=["all", "some"]
)
def test_find_ink_then_normalise_is_preprocess(image: np.ndarray, skip: frozenset[Step]) -> None:
    ink = find_ink(image, skip)
    steps = ink.steps | normalise(ink.cropped, skip)
    result = preprocess(image, skip)
    assert list(steps) == list(result.steps)
    assert all(np.array_equal(steps[name], result.steps[name]) for name in steps)
    assert np.array_equal(steps[Step.MODEL_INPUT], result.model_input)
    assert ink.polarity == result.polarity


def test_a_full_run_has_every_step_in_enum_order() -> None:
    assert list(preprocess(canvas_rgba(digit("3"))).steps) == list(Step)


@pytest.mark.parametrize("step", SKIPPABLE)
def test_a_skipped_step_is_left_out(step: Step) -> None:
    result = preprocess(canvas_rgba(digit("3")), {step})
    assert not result.is_blank
    assert list(result.steps) == [s for s in Step if s != step or s == Step.MODEL_INPUT], "the model input stays"
    x = result.model_input
    assert x.shape == (MODEL_SIZE, MODEL_SIZE) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5


@pytest.mark.parametrize("step", [Step.INPUT, Step.GRAYSCALE, "colour"])
def test_skipping_a_step_that_cannot_be_skipped_raises(step) -> None:
    with pytest.raises(ValueError, match="cannot skip"):
        preprocess(digit("3"), {step})
    with pytest.raises(ValueError, match="cannot skip"):
        find_ink(digit("3"), {step})
    with pytest.raises(ValueError, match="cannot skip"):
        normalise(np.ones((20, 10), np.float32), {step})


SMALL_IN_A_CORNER = digit("4", scale=0.15, offset=(0.3, 0.3))


def test_skipping_crop_and_strokes_keeps_the_whole_image() -> None:
    """Not cut to the ink (and strokes not rescaled), a small character stays small and in its corner."""
    cropped = preprocess(SMALL_IN_A_CORNER).model_input
    whole = preprocess(SMALL_IN_A_CORNER, {Step.CROPPED, Step.STROKES}).model_input
    assert max(box_size(cropped)) == BOX_SIZE
    assert max(box_size(whole)) <= 6
    assert (centre_of_mass(whole) > 14).all(), "still bottom right"


def test_skipping_crop_alone_keeps_the_whole_image() -> None:
    whole = preprocess(SMALL_IN_A_CORNER, {Step.CROPPED}).model_input
    assert max(box_size(whole)) < BOX_SIZE


def test_skipping_box_fills_the_frame() -> None:
    boxed = preprocess(digit("7")).model_input
    filled = preprocess(digit("7"), {Step.BOX}).model_input
    assert max(box_size(boxed)) == BOX_SIZE
    assert max(box_size(filled)) == MODEL_SIZE


def test_skipping_model_input_centres_by_box_not_mass() -> None:
    """A 7's ink is mostly at the top: centred by its box, its centre of mass sits well above the middle."""
    by_mass = preprocess(digit("7")).model_input
    by_box = preprocess(digit("7"), {Step.MODEL_INPUT}).model_input
    assert np.abs(centre_of_mass(by_mass) - 14).max() < 1
    assert centre_of_mass(by_box)[0] < 12
    rows, cols = bounding_box(by_box > 0)
    assert abs((rows.start + rows.stop - 1) / 2 - 13.5) <= 1 and abs((cols.start + cols.stop - 1) / 2 - 13.5) <= 1


def test_skipping_ink_makes_white_paper_the_ink() -> None:
    normal = preprocess(255 - digit("7"))
    raw = preprocess(255 - digit("7"), {Step.INK})
    assert normal.model_input.mean() < 0.2
    assert raw.model_input.mean() > 0.4, "the paper fills the box"
    assert raw.polarity == "light ink on dark", "no polarity fix"


@st.composite
def drawings(draw) -> np.ndarray:
    """Random images: uint8 noise, or a few random strokes on a flat background; HxW, HxWx3 or HxWx4, sides 8..120."""
    h, w = draw(st.integers(8, 120)), draw(st.integers(8, 120))
    channels = draw(st.sampled_from([0, 3, 4]))
    shape = (h, w) if channels == 0 else (h, w, channels)
    if draw(st.booleans()):
        return draw(arrays(np.uint8, shape))
    image = np.full((h, w), draw(st.integers(0, 255)), np.uint8)
    points = draw(st.lists(st.tuples(st.integers(-5, w + 5), st.integers(-5, h + 5)), min_size=1, max_size=6))
    width = draw(st.integers(1, 12))
    cv2.polylines(image, [np.array(points, np.int32)], False, draw(st.integers(0, 255)), width, cv2.LINE_AA)
    return image if channels == 0 else np.dstack([image] * channels)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawings(), st.sets(st.sampled_from(list(SKIPPABLE))), st.none() | st.integers(0, 255))
def test_find_ink_and_normalise_never_crash(image: np.ndarray, skip: set[Step], background: int | None) -> None:
    """Any image, skip set and known background: blank with a reason, or cropped ink that normalises to 28x28."""
    ink = find_ink(image, skip, background)
    if ink.cropped is None:
        assert ink.blank_reason
        return
    assert ink.blank_reason is None
    assert ink.cropped.ndim == 2 and ink.cropped.dtype == np.float32
    assert 0.0 <= ink.cropped.min() and ink.cropped.max() <= 1.0
    x = normalise(ink.cropped, skip)[Step.MODEL_INPUT]
    assert x.shape == (MODEL_SIZE, MODEL_SIZE) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0


@st.composite
def odd_arrays(draw) -> np.ndarray:
    """Sparse specks, dense noise, blobs and lines, on odd shapes: long and thin, tiny, large, with or without alpha."""
    h = draw(st.sampled_from([8, 9, 16, 31, 100, 280, 500, 700]))
    w = draw(st.sampled_from([8, 13, 28, 100, 280, 500, 1200]))
    channels = draw(st.sampled_from([0, 3, 4]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["sparse", "dense", "blobs", "lines", "flat"]))
    if kind == "sparse":
        image = np.where(rng.random((h, w)) < draw(st.sampled_from([0.001, 0.01, 0.05])), 255, 0)
    elif kind == "dense":
        image = rng.integers(0, 256, (h, w))
    elif kind == "blobs":
        image = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), draw(st.sampled_from([1, 3, 9]))) * 255
    elif kind == "lines":
        image = np.zeros((h, w), np.uint8)
        for _ in range(draw(st.integers(1, 30))):
            p0, p1 = (tuple(int(v) for v in rng.integers(-10, max(h, w) + 10, 2)) for _ in range(2))
            cv2.line(image, p0, p1, int(rng.integers(0, 256)), int(rng.integers(1, 40)))
    else:
        image = np.full((h, w), draw(st.integers(0, 255)))
    image = np.clip(image, 0, 255).astype(np.uint8)
    if draw(st.booleans()):
        image = 255 - image
    return image if channels == 0 else np.dstack([image] * channels)


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(odd_arrays(), st.none() | st.sampled_from([0, 255]))
def test_every_valid_array_gets_a_result(image: np.ndarray, background: int | None) -> None:
    """Never anything but a result (blank with a reason, or a 28x28 input in [0, 1]) for a valid array."""
    result = preprocess(image, background=background)
    assert result.is_blank == (result.blank_reason is not None)
    assert result.model_input.shape == (MODEL_SIZE, MODEL_SIZE) and np.isfinite(result.model_input).all()
    assert 0.0 <= result.model_input.min() and result.model_input.max() <= 1.0


def test_scattered_specks_are_no_character() -> None:
    specks = np.where(np.random.default_rng(0).random((500, 500)) < 0.01, 255, 0).astype(np.uint8)
    result = preprocess(specks)
    assert result.is_blank and "noise" in result.blank_reason


def tight_crop(label: str, side: int, width: int = 40) -> np.ndarray:
    """A thick digit whose ink touches the edges, as in a scan cut to the character (postal-code digits are 16x16)."""
    return cv2.resize(digit(label, size=320, width=width, scale=1.0), (side, side), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("side", [16, 28, 160])
@pytest.mark.parametrize("dark_on_light", [False, True])
def test_a_tightly_cropped_character_is_found(side: int, dark_on_light: bool) -> None:
    for label in "0123456789":
        image = tight_crop(label, side)
        result = preprocess(255 - image if dark_on_light else image)
        assert not result.is_blank, f"{label} at {side}x{side}: {result.blank_reason}"
        assert result.polarity == ("dark ink on light" if dark_on_light else "light ink on dark")


def test_a_mostly_inked_canvas_keeps_the_canvas_background_as_background() -> None:
    canvas = np.zeros((280, 280), np.uint8)
    cv2.rectangle(canvas, (20, 20), (260, 260), 255, -1)  # a scribble over most of the canvas
    cv2.line(canvas, (60, 140), (220, 140), 0, 12)
    rgba = np.dstack([canvas] * 3 + [np.full_like(canvas, 255)])
    known = find_ink(rgba, background=0)
    assert known.polarity == "light ink on dark"
    assert known.cropped.shape == (241, 241), "cut to the scribble, not to the black frame around it"
