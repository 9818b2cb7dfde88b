"""Reading a row: segmentation, the sliding window and the multi-head network on synthetic rows (real models)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from drawing import DIGITS, FIVE_IN_TWO_STROKES, noisy_photo, row
from fixtures import LETTER_STROKES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import recognizer
from recognizer.reading import METHODS, ROW_SHAPE, ROW_VIEWS, _boxes, _fit_row, _ink_pieces, methods, read, row_input


@pytest.fixture(scope="module")
def digits() -> recognizer.Recognizer:
    return recognizer.load("digits")


def digit_row(text: str, **kwargs) -> np.ndarray:
    return row([DIGITS[c] for c in text], **kwargs)


@pytest.mark.parametrize("method", METHODS)
def test_every_method_reads_a_spaced_row(digits, method: str) -> None:
    image = digit_row("31415")
    reading = digits.read(image, method)
    assert reading.text == "31415" and reading.method == method
    assert [c.label for c in reading.characters] == list("31415")
    for c in reading.characters:
        x0, y0, x1, y1 = c.box
        assert 0 <= x0 < x1 <= image.shape[1] and 0 <= y0 < y1 <= image.shape[0]
        assert 0 < c.p <= 1
    lefts = [c.box[0] for c in reading.characters]
    assert lefts == sorted(lefts), "left to right"


def test_segments_carry_their_model_inputs_and_boxes_around_each_digit(digits) -> None:
    image = digit_row("2718", step=1.0, height=100)  # digit i spans x = 30 + 100 i .. 30 + 100 i + 100
    reading = digits.read(image, "segment")
    assert reading.text == "2718"
    for i, c in enumerate(reading.characters):
        assert c.model_input.shape == (28, 28) and c.model_input.dtype == np.float32
        centre = (c.box[0] + c.box[2]) / 2
        assert 30 + 100 * i <= centre <= 30 + 100 * (i + 1)


def test_segmentation_merges_a_five_in_two_strokes_and_splits_touching_digits(digits) -> None:
    broken = row([DIGITS["1"], FIVE_IN_TWO_STROKES, DIGITS["7"]])
    assert digits.read(broken, "segment").text == "157"
    touching = digit_row("2048", step=0.65)
    assert cv2.connectedComponents((touching > 0).astype(np.uint8))[0] == 2, "one piece of ink (and the background)"
    assert digits.read(touching, "segment").text == "2048"


def test_a_photo_of_a_row_on_paper_reads_the_same(digits) -> None:
    assert digits.read(noisy_photo(digit_row("8302")), "segment").text == "8302"


def test_segmentation_reads_a_word_of_letters() -> None:
    letters = recognizer.load("letters")
    assert letters.read(row([LETTER_STROKES[c] for c in "LAx"]), "segment").text == "LAX"


def test_the_multihead_network_reads_shorter_numbers_and_gives_every_position(digits) -> None:
    reading = digits.read(digit_row("42"), "multihead")
    assert reading.text == "42"
    assert reading.row.shape == ROW_SHAPE and reading.positions.shape == (5, 11)
    np.testing.assert_allclose(reading.positions.sum(axis=1), 1, atol=1e-4)
    assert (reading.positions[2:].argmax(axis=1) == 10).all(), "positions 3 to 5 hold no digit"


def test_the_sequence_network_reads_any_count_and_boxes_each_digit(digits) -> None:
    image = digit_row("2718", step=1.0, height=100)  # digit i spans x = 30 + 100 i .. 30 + 100 i + 100
    reading = digits.read(image, "sequence")
    assert reading.text == "2718" and reading.row.shape == ROW_SHAPE and reading.positions is None
    for i, c in enumerate(reading.characters):
        assert 30 + 100 * i <= (c.box[0] + c.box[2]) / 2 <= 30 + 100 * (i + 1)
    assert digits.read(digit_row("7"), "sequence").text == "7"
    assert digits.read(digit_row("905127"), "sequence").text == "905127", "more than the multi-head's five"


def test_a_box_keeps_to_its_characters_ink_and_splits_touching_ones_halfway() -> None:
    strength = np.zeros((40, 100), np.uint8)
    strength[5:35, 10:60] = 255  # a wide character, its middle at 35 but the row network says 30
    strength[5:35, 70:90] = 255
    assert _boxes([30, 75], strength, _ink_pieces(strength)) == [(10, 5, 60, 35), (70, 5, 90, 35)], (
        "its tail is not the next one's"
    )
    strength[5:35, 60:70] = 255  # now they touch: one piece
    assert _boxes([30, 75], strength, _ink_pieces(strength)) == [(10, 5, 75, 35), (52, 5, 90, 35)], (
        "one piece, its own to the next middle"
    )
    assert _boxes([], strength, _ink_pieces(strength)) == []


@pytest.mark.parametrize(("size", "shift"), ROW_VIEWS)
def test_each_view_of_the_row_networks_maps_its_columns_back_onto_the_ink(size: float, shift: int) -> None:
    strength = np.zeros((100, 400), np.uint8)
    strength[30:70, 50:250] = 255
    view, x_of = _fit_row(strength, size, shift)
    rows, cols = np.nonzero(view > 0.5)
    assert rows.max() - rows.min() + 1 == pytest.approx(20 * size, abs=1)
    assert (cols.min() + cols.max() + 1) / 2 == pytest.approx(70 + shift, abs=1)
    assert x_of(cols.min()) == pytest.approx(50, abs=3) and x_of(cols.max() + 1) == pytest.approx(250, abs=3)


def test_blank_rows_say_why_and_unknown_methods_are_refused(digits) -> None:
    empty = digits.read(np.zeros((100, 400), np.uint8))
    assert empty.text == "" and empty.characters == [] and empty.blank_reason
    with pytest.raises(ValueError, match="unknown method"):
        digits.read(digit_row("1"), "guess")
    letters = recognizer.load("letters")
    assert methods(letters.alphabet) == ("segment", "window")
    with pytest.raises(ValueError, match="segment"):
        read(letters, digit_row("1"), "multihead")


def test_row_input_scales_the_row_into_28_by_140() -> None:
    x = row_input(digit_row("12345"))
    assert x.shape == ROW_SHAPE and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    rows, cols = np.nonzero(x > 0.1)
    assert rows.max() - rows.min() <= 21, "characters 20 pixels high"
    assert abs((cols.min() + cols.max()) / 2 - 70) <= 2, "centred"
    assert row_input(np.zeros((50, 50), np.uint8)) is None


def test_to_json_is_the_cli_line(digits) -> None:
    line = digits.read(digit_row("90")).to_json()
    assert line["text"] == "90" and line["method"] == "sequence"
    assert recognizer.load("letters").read(row([LETTER_STROKES["L"]])).method == "segment", "no sequence model"
    assert [set(c) for c in line["characters"]] == [{"label", "p", "box"}] * 2


@st.composite
def rows(draw) -> np.ndarray:
    """Odd rows: noise, or random strokes and specks on a flat background; wide, tall or tiny; grey, RGB or RGBA."""
    h, w = draw(st.integers(8, 160)), draw(st.integers(8, 600))
    channels = draw(st.sampled_from([0, 3, 4]))
    if draw(st.booleans()):
        image = draw(arrays(np.uint8, (h, w)))
    else:
        image = np.full((h, w), draw(st.integers(0, 255)), np.uint8)
        for _ in range(draw(st.integers(1, 8))):
            points = draw(st.lists(st.tuples(st.integers(-5, w + 5), st.integers(-5, h + 5)), min_size=1, max_size=5))
            ink = draw(st.integers(0, 255))
            cv2.polylines(image, [np.array(points, np.int32)], False, ink, draw(st.integers(1, 14)), cv2.LINE_AA)
    return image if channels == 0 else np.dstack([image] * channels)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows(), st.sampled_from(METHODS), st.none() | st.integers(0, 255))
def test_any_row_is_read_or_said_blank_never_a_crash(digits, image: np.ndarray, method: str, background) -> None:
    reading = digits.read(image, method, background)
    assert reading.text == "".join(c.label for c in reading.characters)
    assert (reading.blank_reason is None) or not reading.characters
    for c in reading.characters:
        x0, y0, x1, y1 = c.box
        assert 0 <= x0 <= x1 <= image.shape[1] and 0 <= y0 <= y1 <= image.shape[0]
        assert 0 <= c.p <= 1
