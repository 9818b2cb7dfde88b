"""Dataset loaders, the stroke renderer and the writer split, on fixtures the tests make."""

from __future__ import annotations

import numpy as np
import pytest
from drawing import DIGITS
from fixtures import mnist_like, write_idx, write_mnist_npz, write_unipen_npz

from recognizer.alphabets import get_alphabet
from recognizer.training.data import (
    Dataset,
    label_indices,
    load_mnist,
    load_unipen,
    prepare,
    truncated,
    writer_split,
)
from recognizer.training.datasets import unipen_parts
from recognizer.training.render import continental, render_strokes, restyle


def test_load_mnist_from_npz(tmp_path) -> None:
    (x_train, y_train), (_, y_test) = load_mnist(write_mnist_npz(tmp_path / "mnist.npz", 30, 10))
    assert x_train.shape == (30, 28, 28) and x_train.dtype == np.uint8
    assert y_test.shape == (10,) and set(y_train) <= set(range(10))


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist_from_idx_files(tmp_path, gz: bool) -> None:
    images, labels = mnist_like(12)
    suffix = ".gz" if gz else ""
    for split in ("train", "t10k"):
        write_idx(tmp_path / f"{split}-images-idx3-ubyte{suffix}", images, gz)
        write_idx(tmp_path / f"{split}-labels-idx1-ubyte{suffix}", labels, gz)
    (x_train, y_train), (x_test, _) = load_mnist(tmp_path)
    np.testing.assert_array_equal(x_train, images)
    np.testing.assert_array_equal(y_train, labels)
    assert x_test.shape == (12, 28, 28)


def test_corrupt_idx_file_is_refused(tmp_path) -> None:
    header = bytes([0, 0, 8, 3]) + b"".join(d.to_bytes(4, "big") for d in (5, 28, 28))
    (tmp_path / "train-images-idx3-ubyte").write_bytes(header + b"\x00" * 100)  # truncated
    for name in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        write_idx(tmp_path / name, np.zeros(5, np.uint8), gz=False)
    with pytest.raises(ValueError, match="expected"):
        load_mnist(tmp_path)


def test_unipen_strokes_follow_the_documented_layout(tmp_path) -> None:
    unipen = load_unipen(write_unipen_npz(tmp_path / "unipen.npz", writers=3))
    assert len(unipen) == 3 * 14
    four = unipen.strokes(4)  # writer 0, digit "4": two strokes of 3 and 2 points
    assert unipen.labels[4] == "4"
    assert [len(s) for s in four] == [3, 2]
    last = unipen.strokes(len(unipen) - 1)
    assert unipen.labels[-1] == "x" and [len(s) for s in last] == [2, 2]


def test_fragments_of_characters_are_left_out_of_every_part(tmp_path) -> None:
    unipen = load_unipen(write_unipen_npz(tmp_path / "unipen.npz", writers=8))
    assert not unipen.truncated.any(), "the fixture's characters are whole"
    dash = [np.array([[0.0, 5.0], [4.0, 5.2], [9.0, 4.9]])]
    assert truncated(dash, "4") and truncated(dash, "x") and truncated([dash[0][::-1]], "H")
    assert truncated(dash, "1") and truncated(dash, "l"), "a level dash is no 1 or l: the base of one"
    stem = [dash[0][:, ::-1]]
    assert not truncated(stem, "1") and not truncated(stem, "l") and not truncated(stem, "I")
    assert not truncated([*dash, dash[0] + [0, 3]], "4"), "two strokes"
    assert not truncated([np.array([[0.0, 0.0], [4.0, 6.0], [8.0, 0.0]])], "v"), "a bent stroke"
    assert not truncated([np.array([[0.0, 0.0], [9.0, 0.0], [0.2, 0.1]])], "x"), "a stroke that turns back"
    assert not truncated([np.zeros((3, 2))], "x"), "a dot"
    first = next(i for i in range(len(unipen)) if unipen.labels[i] == "4")
    object.__setattr__(unipen, "truncated", np.arange(len(unipen)) == first)  # as if its file kept a dash
    parts = unipen_parts(unipen)
    assert not any(mask[first] for mask in parts.values())
    assert parts["train"].sum() + parts["unseen"].sum() == len(unipen) - 1


def test_writer_split_is_by_writer_and_stable() -> None:
    writers = np.array([f"w{i % 200}" for i in range(2000)])
    is_val = writer_split(writers)
    for w in np.unique(writers):
        assert len(set(is_val[writers == w])) == 1, "a writer is on one side only"
    assert 0.08 < is_val.mean() < 0.25
    np.testing.assert_array_equal(writer_split(writers[::-1]), is_val[::-1])


def test_render_strokes_looks_like_a_drawing() -> None:
    strokes = [np.array([[0, 0], [100, 0], [40, 200]], np.float32)]
    light = dark = 0
    for seed in range(20):
        image = render_strokes(strokes, np.random.default_rng(seed), canvas=96)
        assert image.shape == (96, 96) and image.dtype == np.uint8
        assert image.max() - image.min() > 80, "ink stands out"
        is_light = np.median(image) < 128
        light, dark = light + is_light, dark + (not is_light)
    assert light and dark, "both polarities"
    again = render_strokes(strokes, np.random.default_rng(3), canvas=96)
    np.testing.assert_array_equal(again, render_strokes(strokes, np.random.default_rng(3), canvas=96))


def test_render_handles_a_single_point_stroke() -> None:
    image = render_strokes([np.array([[5.0, 5.0]]), np.array([[0, 0], [0, 50.0]])], np.random.default_rng(0))
    assert image.std() > 5


def test_prepare_renders_and_preprocesses_deterministically(tmp_path) -> None:
    unipen = load_unipen(write_unipen_npz(tmp_path / "unipen.npz", writers=2))
    y, known = label_indices(get_alphabet("digits"), unipen.labels)
    index = np.flatnonzero(known)
    a = prepare(unipen.subset(index), y[index], seed=1, workers=1)
    b = prepare(unipen.subset(index), y[index], seed=1, workers=2)
    assert isinstance(a, Dataset) and len(a) == 20
    assert a.x.shape == (20, 28, 28) and a.x.dtype == np.float32
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, np.tile(np.arange(10), 2))


def test_label_indices_maps_both_cases_of_letters() -> None:
    idx, known = label_indices(get_alphabet("letters"), ["a", "A", "z", "3"])
    assert idx.tolist()[:3] == [0, 0, 25]
    assert known.tolist() == [True, True, True, False]


def test_continental_ones_get_a_long_flag_sevens_a_bar_and_zeros_a_slash() -> None:
    rng = np.random.default_rng(0)
    ring = [np.array([[np.cos(t), np.sin(t)] for t in np.linspace(0, 2 * np.pi, 24)])]
    for _ in range(20):
        slashed = continental(ring, "0", rng)
        assert len(slashed) == 2, "one line through the ring"
        ends = slashed[1]
        assert np.linalg.norm(ends[0] - ends[1]) > 2, "out of the ring at both ends"
    bar = [np.array([[0.5, 0.0], [0.5, 1.0]])]
    one = continental(bar, "1", rng)
    pts = np.concatenate(one)
    assert pts[:, 0].min() < 0.5 - 0.15, "a flag reaching left from the top"
    assert np.isclose(pts[:, 1].min(), 0.0) and np.isclose(pts[:, 1].max(), 1.0), "as tall as before"
    seven = [np.array(s, np.float64) for s in DIGITS["7"]]
    crossed = continental(seven, "7", rng)
    assert len(crossed) == len(seven) + 1 and np.ptp(crossed[-1][:, 1]) == 0, "one more stroke: a level bar"
    for strokes, label in ((seven, "3"), (one, "1")):  # other labels, and a 1 with a flag already, stay as they are
        kept = continental(strokes, label, rng)
        assert len(kept) == len(strokes) and all(np.array_equal(a, b) for a, b in zip(kept, strokes, strict=True))


def test_restyle_turns_shears_and_stretches_about_the_centre_within_its_limits() -> None:
    rng = np.random.default_rng(0)
    square = [np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [0.0, 0.0]])]
    moved = [restyle(square, rng)[0] for _ in range(200)]
    assert all(np.allclose(m[:4].mean(axis=0), [0.5, 0.5]) for m in moved), "about the centre"
    widths = np.array([np.linalg.norm(m[1] - m[0]) for m in moved])
    assert widths.min() > np.exp(-0.2) - 1e-9 and widths.max() < np.exp(0.2) + 1e-9, "0.82 to 1.22 times as wide"
    assert widths.std() > 0.05, "and not always the same"
    heights = np.array([m[3, 1] - m[0, 1] for m in moved])
    assert (heights > 0).all(), "never upside down"
