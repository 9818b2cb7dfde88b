"""Input conventions: every layout, value range, polarity and placement makes the tensor the model expects."""

from __future__ import annotations

import json

import numpy as np
import pytest
from drawing import digit
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from recognizer.convention import MNIST, Convention
from recognizer.preprocess import SKIPPABLE, Step, bounding_box, preprocess

SEVEN = preprocess(digit("7")).model_input
ONE = preprocess(digit("1")).model_input


def box_size(image: np.ndarray) -> tuple[int, int]:
    """Height and width of the bounding box of the ink (values above 0.05)."""
    rows, cols = bounding_box(image > 0.05)
    return rows.stop - rows.start, cols.stop - cols.start


def centre_of_mass(image: np.ndarray) -> np.ndarray:
    rows, cols = np.indices(image.shape)
    return np.array([(image * rows).sum(), (image * cols).sum()]) / image.sum()


# --- shapes and layouts ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("convention", "shape"),
    [
        (MNIST, (1, 28, 28, 1)),
        (Convention(shape=(28, 28)), (1, 28, 28)),
        (Convention(shape=(784,)), (1, 784)),
        (Convention(shape=(1, 28, 28), channels_first=True), (1, 1, 28, 28)),
        (Convention(shape=(32, 32, 1)), (1, 32, 32, 1)),
        (Convention(shape=(3, 32, 32), channels_first=True), (1, 3, 32, 32)),
        (Convention(shape=(32, 32, 3), resize=True), (1, 32, 32, 3)),
    ],
    ids=lambda v: str(v) if isinstance(v, tuple) else None,
)
def test_apply_gives_the_model_shape_with_a_batch_axis(convention: Convention, shape: tuple[int, ...]) -> None:
    x = convention.apply(SEVEN)
    assert x.shape == shape and x.dtype == np.float32


@pytest.mark.parametrize(
    "convention",
    [Convention(shape=(28, 28)), Convention(shape=(784,)), Convention(shape=(1, 28, 28), channels_first=True)],
    ids=["2-d", "flat", "channels first"],
)
def test_layouts_hold_the_same_pixels(convention: Convention) -> None:
    """Flat, 2-d and channels-first tensors are the canonical image, only laid out differently."""
    assert np.array_equal(convention.apply(SEVEN).reshape(28, 28), SEVEN)


def test_mnist_convention_is_the_canonical_image() -> None:
    assert np.array_equal(MNIST.apply(SEVEN)[0, :, :, 0], SEVEN)


def test_padding_to_32_centres_the_image_in_a_2px_border() -> None:
    x = Convention(shape=(32, 32, 1)).apply(SEVEN)[0, :, :, 0]
    assert np.array_equal(x[2:30, 2:30], SEVEN)
    inner = np.zeros((32, 32), bool)
    inner[2:30, 2:30] = True
    assert not x[~inner].any(), "the border is background"


def test_padding_is_background_whatever_the_polarity() -> None:
    x = Convention(shape=(32, 32, 1), value_range=(0, 255), polarity="dark on light").apply(SEVEN)[0, :, :, 0]
    assert (x[:2] == 255).all() and (x[-2:] == 255).all() and (x[:, :2] == 255).all() and (x[:, -2:] == 255).all()
    assert np.allclose(x[2:30, 2:30], 255 * (1 - SEVEN))


def test_a_smaller_side_crops_the_border() -> None:
    x = Convention(shape=(16, 16)).apply(SEVEN)[0]
    assert np.array_equal(x, SEVEN[6:22, 6:22])


def test_three_channels_are_the_same_grey_image() -> None:
    x = Convention(shape=(32, 32, 3)).apply(SEVEN)[0]
    assert np.array_equal(x[..., 0], x[..., 1]) and np.array_equal(x[..., 0], x[..., 2])
    assert np.array_equal(x[2:30, 2:30, 0], SEVEN)


def test_resize_scales_the_image_instead_of_padding() -> None:
    padded = Convention(shape=(32, 32)).apply(SEVEN)[0]
    resized = Convention(shape=(32, 32), resize=True).apply(SEVEN)[0]
    assert box_size(padded)[0] == 20
    assert 22 <= box_size(resized)[0] <= 24, "20 rows of ink scaled by 32/28"
    assert resized.sum() == pytest.approx(SEVEN.sum() * (32 / 28) ** 2, rel=0.05)


def test_resize_to_a_smaller_side_keeps_the_whole_character() -> None:
    x = Convention(shape=(14, 14), resize=True).apply(SEVEN)[0]
    assert x.sum() == pytest.approx(SEVEN.sum() / 4, rel=0.02)


def test_batch_keeps_its_length_and_order() -> None:
    batch = np.stack([SEVEN, ONE, SEVEN.T])
    convention = Convention(shape=(32, 32, 1), placement="fill", value_range=(-1, 1))
    x = convention.apply(batch)
    assert x.shape == (3, 32, 32, 1)
    for i, image in enumerate(batch):
        assert np.array_equal(x[i], convention.apply(image)[0])


# --- values --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("convention", "background", "ink"),
    [
        (MNIST, 0.0, 1.0),
        (Convention(value_range=(0, 255)), 0.0, 255.0),
        (Convention(value_range=(-1, 1)), -1.0, 1.0),
        (Convention(mean=0.1307, std=0.3081), -0.1307 / 0.3081, (1 - 0.1307) / 0.3081),
        (Convention(value_range=(0, 255), polarity="dark on light"), 255.0, 0.0),
        (Convention(value_range=(-1, 1), polarity="dark on light"), 1.0, -1.0),
    ],
    ids=["0..1", "0..255", "-1..1", "standardised", "0..255 dark on light", "-1..1 dark on light"],
)
def test_values_of_known_pixels(convention: Convention, background: float, ink: float) -> None:
    canonical = np.zeros((28, 28), np.float32)
    canonical[10, 12], canonical[10, 13] = 1.0, 0.5
    x = convention.apply(canonical)[0, :, :, 0]
    assert x[0, 0] == pytest.approx(background, abs=1e-5)
    assert x[10, 12] == pytest.approx(ink, abs=1e-5)
    assert x[10, 13] == pytest.approx((background + ink) / 2, abs=1e-5)


def test_dark_on_light_makes_the_background_the_high_value() -> None:
    x = Convention(value_range=(0, 255), polarity="dark on light").apply(SEVEN)[0, :, :, 0]
    assert np.median(x) == 255 and x.min() == 0
    assert np.allclose(x, 255 * (1 - SEVEN))


def test_transposed_swaps_rows_and_columns() -> None:
    x = Convention(shape=(28, 28), transposed=True).apply(SEVEN)[0]
    assert np.array_equal(x, SEVEN.T)


# --- placement -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("canonical", [SEVEN, ONE], ids=["7", "1"])
def test_fill_scales_the_character_to_touch_the_frame(canonical: np.ndarray) -> None:
    x = Convention(shape=(28, 28), placement="fill").apply(canonical)[0]
    rows, cols = bounding_box(x > 0)
    assert (rows.start, rows.stop) == (0, 28), "a tall character touches top and bottom"
    assert cols.stop - cols.start < 28, "narrower: the aspect ratio is kept"
    assert abs((cols.start + cols.stop - 1) / 2 - 13.5) <= 1, "centred by its box"


def test_fill_of_a_blank_image_stays_blank() -> None:
    assert not Convention(placement="fill").apply(np.zeros((28, 28), np.float32)).any()


def test_only_resize_placement_skips_preprocessing_steps() -> None:
    assert Convention(placement="mnist").skip == frozenset()
    assert Convention(placement="fill").skip == frozenset()
    skip = Convention(placement="resize").skip
    assert Step.CROPPED in skip and skip <= set(SKIPPABLE)


def test_resize_placement_keeps_a_character_where_it_was_drawn() -> None:
    corner = digit("4", scale=0.15, offset=(0.3, 0.3))  # small, bottom right
    convention = Convention(placement="resize")
    canonical = preprocess(corner, convention.skip).model_input
    assert (centre_of_mass(convention.apply(canonical)[0, :, :, 0]) > 19).all()
    assert np.abs(centre_of_mass(preprocess(corner).model_input) - 14).max() < 1, "the default centres it"


# --- words and JSON ------------------------------------------------------------------------------------------------


def test_describe_in_plain_words() -> None:
    assert MNIST.describe() == (
        "28x28 with 1 channel (channels last), values from 0 to 1, light ink on dark,"
        " the character in a 20x20 box centred by mass"
    )
    assert Convention(shape=(784,), value_range=(0, 255)).describe() == (
        "a flat vector of 784 values from 0 to 255, light ink on dark, the character in a 20x20 box centred by mass"
    )
    words = Convention(
        shape=(3, 32, 32), channels_first=True, mean=0.5, std=0.25, polarity="dark on light", transposed=True
    ).describe()
    for part in ("3 channels (channels first)", "mean 0.5 and std 0.25", "dark ink on light", "padded to 32x32"):
        assert part in words
    assert "transposed" in words
    assert "resized to 16x16" in Convention(shape=(16, 16), resize=True).describe()


finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
ANY_RANGE = st.tuples(finite, finite).filter(lambda r: r[0] != r[1])


@st.composite
def conventions(draw, max_side: int = 64, value_range=ANY_RANGE) -> Convention:
    """Any valid convention."""
    side = draw(st.integers(8, max_side))
    channels = draw(st.integers(1, 4))
    layout = draw(st.sampled_from(["flat", "2-d", "channels last", "channels first"]))
    shape = {
        "flat": (side * side,),
        "2-d": (side, side),
        "channels last": (side, side, channels),
        "channels first": (channels, side, side),
    }[layout]
    return Convention(
        shape=shape,
        channels_first=layout == "channels first",
        value_range=draw(value_range),
        mean=draw(finite),
        std=draw(finite.filter(lambda v: abs(v) > 1e-3)),
        polarity=draw(st.sampled_from(["light on dark", "dark on light"])),
        placement=draw(st.sampled_from(["mnist", "fill", "resize"])),
        resize=draw(st.booleans()),
        transposed=draw(st.booleans()),
    )


@settings(max_examples=100, deadline=None)
@given(conventions())
def test_json_round_trip(convention: Convention) -> None:
    data = json.loads(json.dumps(convention.to_json()))
    assert data["description"] == convention.describe()
    assert Convention.from_json(data) == convention


@settings(max_examples=60, deadline=None)
@given(
    conventions(max_side=48, value_range=st.sampled_from([(0, 1), (0, 255), (-1, 1), (1, 0)])),
    arrays(np.float32, (2, 28, 28), elements=st.floats(0, 1, width=32)),
)
def test_apply_stays_in_range_for_any_convention(convention: Convention, canonical: np.ndarray) -> None:
    """Every convention gives a finite float32 batch of its shape, values between background and ink."""
    x = convention.apply(canonical)
    assert x.shape == (2, *convention.shape) and x.dtype == np.float32
    ends = (np.array(convention.value_range) - convention.mean) / convention.std
    assert np.isfinite(x).all()
    tolerance = 1e-4 * (1 + np.abs(ends).max())
    assert ends.min() - tolerance <= x.min() and x.max() <= ends.max() + tolerance


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"shape": (785,)}, "not a square"),
        ({"shape": (28, 30, 1)}, "square"),
        ({"shape": (3, 28, 30), "channels_first": True}, "square"),
        ({"shape": (28, 28, 1, 1)}, "square"),
        ({"shape": (28, 28), "channels_first": True}, "channels_first"),
        ({"polarity": "white on black"}, "polarity"),
        ({"placement": "stretch"}, "placement"),
        ({"std": 0}, "std"),
        ({"std": float("nan")}, "std"),
        ({"mean": float("inf")}, "mean"),
        ({"value_range": (1, 1)}, "value_range"),
        ({"shape": (28, 28, 0)}, "at least 1"),
        ({"shape": (7, 7)}, "too small"),
        ({"shape": (49,)}, "too small"),
    ],
)
def test_invalid_conventions_raise_value_error(fields: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Convention(**fields)
