"""The probe set shipped in models/probe.npz, and its builder on fixtures the tests make."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from app_samples import needs_model
from fixtures import write_mnist_npz, write_unipen_npz

import recognizer
from recognizer import paths
from recognizer.alphabets import ALPHABETS
from recognizer.training.data import load_unipen, writer_split
from recognizer.training.datasets import OTHER_PLACES, unipen_parts
from recognizer.training.probe import CANVAS, JITTER, SIZE, build_probe, draw_probe, main

PROBE = paths.MODELS_DIR / "probe.npz"


def training_writers(data_dir: Path) -> list[str]:
    """The writers of a UNIPEN file that training uses: not of a held-out institution, not held out themselves."""
    unipen = load_unipen(data_dir / "unipen_dev.npz")
    return sorted(set(unipen.writers[unipen_parts(unipen)["train"]].tolist()))


KEYS = {"digits_x", "digits_y", "letters_x", "letters_y", "mnist_x", "mnist_y", "description"}
PER_CLASS = 50
MNIST = 500


@pytest.fixture(scope="module")
def probe() -> dict[str, np.ndarray]:
    if not PROBE.is_file():
        pytest.skip(f"{PROBE} not built yet (python -m recognizer.training.probe)")
    with np.load(PROBE) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def description(probe) -> dict:
    return json.loads(str(probe["description"]))


def counts(labels: np.ndarray) -> dict[str, int]:
    values, n = np.unique(labels, return_counts=True)
    return {str(v): int(c) for v, c in zip(values, n, strict=True)}


def border(x: np.ndarray, ring: int = 2) -> np.ndarray:
    """The pixels of the outer ``ring`` of every image in (N, H, W)."""
    mask = np.ones(x.shape[1:], bool)
    mask[ring:-ring, ring:-ring] = False
    return x[:, mask]


# --- the shipped file ------------------------------------------------------------------------------------------


def test_shipped_probe_has_every_part_with_its_shape_and_type(probe) -> None:
    assert set(probe) == KEYS
    for part, side in (("digits", CANVAS), ("letters", CANVAS), ("mnist", 28)):
        x, y = probe[f"{part}_x"], probe[f"{part}_y"]
        assert x.dtype == np.uint8 and x.ndim == 3 and x.shape[1:] == (side, side), (part, x.dtype, x.shape)
        assert y.dtype.kind == "U" and y.shape == (len(x),), (part, y.dtype, y.shape)
    assert probe["description"].shape == () and probe["description"].dtype.kind == "U"


def test_shipped_probe_is_small() -> None:
    if not PROBE.is_file():
        pytest.skip(f"{PROBE} not built yet")
    assert PROBE.stat().st_size < 3e6


def test_shipped_probe_has_the_same_number_of_every_class(probe) -> None:
    assert counts(probe["digits_y"]) == dict.fromkeys(ALPHABETS["digits"].labels, PER_CLASS)
    assert counts(probe["letters_y"]) == dict.fromkeys(ALPHABETS["letters"].labels, PER_CLASS)
    assert counts(probe["mnist_y"]) == dict.fromkeys(ALPHABETS["digits"].labels, MNIST // 10)


def test_shipped_probe_is_white_ink_on_black(probe) -> None:
    for part in ("digits", "letters", "mnist"):
        x = probe[f"{part}_x"]
        assert border(x).mean() < 1.0, part
        assert (x == 255).any() and x.reshape(len(x), -1).max(axis=1).min() >= 250, part  # MNIST peaks at 254-255
        ink = (x > 127).reshape(len(x), -1).mean(axis=1)
        assert 0.01 < ink.min() and ink.max() < 0.5, (part, ink.min(), ink.max())  # a thin l covers 1.6%
    for part in ("digits", "letters"):  # drawn here: pure white strokes, nothing on the outermost ring
        x = probe[f"{part}_x"]
        assert (x.reshape(len(x), -1).max(axis=1) == 255).all(), part
        assert border(x, 1).max() == 0, part


def test_shipped_probe_letters_are_about_half_capitals(probe, description) -> None:
    chars = description["letters"]["characters"]
    assert len(chars) == len(probe["letters_y"])
    assert [c.upper() for c in chars] == probe["letters_y"].tolist()
    for label in ALPHABETS["letters"].labels:
        in_class = [c for c, y in zip(chars, probe["letters_y"], strict=True) if y == label]
        assert abs(sum(c.isupper() for c in in_class) - len(in_class) / 2) <= 5, label
        assert len(set(in_class[:8])) == 2, f"{label}: the first drawings of a class mix both cases"


def test_shipped_probe_writers_are_outside_every_validation_split(description) -> None:
    for part in ("digits", "letters"):
        writers = np.array(description[part]["writer_ids"])
        assert len(writers) == description[part]["writers"] > 200, part
        assert not writer_split(writers).any(), part
        assert description[part]["most_samples_of_one_writer_in_a_class"] <= 2, part
        assert not any(w.split("/")[0] in OTHER_PLACES for w in writers), f"{part}: a held-out institution"
    for model in ("digits_cnn", "digits_mlp", "letters_cnn", "letters_mlp"):  # the split the models were made with
        card = json.loads((paths.MODELS_DIR / f"{model}.json").read_text())
        assert card["training_data"]["unipen"]["split"].startswith("institutions art, ced, ibm, uqb held out"), model


def test_shipped_probe_describes_where_it_came_from(description) -> None:
    assert description["digits"]["file"] == description["letters"]["file"] == "unipen_dev.npz"
    assert description["mnist"]["file"] == "mnist.npz"
    assert isinstance(description["seed"], int)
    assert description["renderer"]["canvas"] == CANVAS
    assert all(not description[part]["classes_short"] for part in ("digits", "letters", "mnist"))


def test_shipped_probe_is_what_the_builder_makes(probe, tmp_path) -> None:
    data_dir = paths.DEFAULT_DATA_DIR
    if not (data_dir / "unipen_dev.npz").is_file():
        pytest.skip(f"no training data in {data_dir}")
    description = json.loads(str(probe["description"]))
    build_probe(data_dir, tmp_path / "probe.npz", PER_CLASS, MNIST, description["seed"])
    with np.load(tmp_path / "probe.npz") as again:
        for key in KEYS:
            np.testing.assert_array_equal(again[key], probe[key], err_msg=key)


# --- the shipped models read it -------------------------------------------------------------------------------


def accuracy(rec: recognizer.Recognizer, x: np.ndarray, y: np.ndarray) -> float:
    """Share of the non-blank images the recognizer reads as their label, after the app's preprocessing."""
    pre = [recognizer.preprocess(image) for image in x]
    keep = np.array([not p.is_blank for p in pre])
    assert keep.mean() > 0.98
    canonical = np.stack([p.model_input for p in pre])[keep]
    labels = np.array([rec.alphabet.index(str(v)) for v in y])[keep]
    return float((rec.classify(canonical).argmax(axis=1) == labels).mean())


@needs_model("digits")
def test_digits_model_reads_the_probe_digits_and_mnist(probe) -> None:
    rec = recognizer.load("digits")
    drawn = accuracy(rec, probe["digits_x"], probe["digits_y"])
    mnist = accuracy(rec, probe["mnist_x"], probe["mnist_y"])
    assert drawn >= 0.90 and mnist >= 0.98, (drawn, mnist)


@needs_model("letters")
def test_letters_model_reads_the_probe_letters(probe) -> None:
    rec = recognizer.load("letters")
    drawn = accuracy(rec, probe["letters_x"], probe["letters_y"])
    assert drawn >= 0.80, drawn


# --- the builder ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("data")
    write_mnist_npz(folder / "mnist.npz")  # 40 test images, 4 of each digit
    write_unipen_npz(folder / "unipen_dev.npz")  # 20 writers, each digit and A, a, L, x once
    return folder


def test_build_probe_on_fixtures(data_dir, tmp_path) -> None:
    out = tmp_path / "sub" / "probe.npz"
    returned = build_probe(data_dir, out, per_class=4, mnist=20, seed=3)
    with np.load(out) as data:
        assert set(data.files) == KEYS
        description = json.loads(str(data["description"]))
        assert description == returned and description["seed"] == 3
        assert data["digits_x"].shape == (40, CANVAS, CANVAS) and data["digits_x"].dtype == np.uint8
        assert counts(data["digits_y"]) == dict.fromkeys("0123456789", 4)
        assert counts(data["mnist_y"]) == dict.fromkeys("0123456789", 2)
        assert data["mnist_x"].shape == (20, 28, 28)
        # the letters that exist: A from both cases, L only capitals, x only small; the rest missing
        assert counts(data["letters_y"]) == {"A": 4, "L": 4, "X": 4}
        assert description["letters"]["characters"] == "AaAaLLLLxxxx"
        assert description["letters"]["per_class_by_case"]["A"] == {"A": 2, "a": 2}
        short = description["letters"]["classes_short"]
        assert set(short) == set(ALPHABETS["letters"].labels) - {"A", "L", "X"} and set(short.values()) == {0}
        assert not description["digits"]["classes_short"] and not description["mnist"]["classes_short"]
        writers = description["digits"]["writer_ids"]
        assert sorted(writers) == training_writers(data_dir), "every training writer, and only they"
        assert description["digits"]["most_samples_of_one_writer_in_a_class"] == 1


def test_build_probe_takes_what_there_is_when_a_class_runs_short(data_dir, tmp_path) -> None:
    out = tmp_path / "probe.npz"
    description = build_probe(data_dir, out, per_class=30, mnist=100)
    available = len(training_writers(data_dir))
    with np.load(out) as data:
        assert counts(data["digits_y"]) == dict.fromkeys("0123456789", available)
        both_cases = min(30, 2 * available)  # A: a capital and a small one from each writer
        assert counts(data["letters_y"]) == {"A": both_cases, "L": available, "X": available}
        assert counts(data["mnist_y"]) == dict.fromkeys("0123456789", 4)
    assert description["digits"]["classes_short"] == dict.fromkeys("0123456789", available)
    assert description["mnist"]["classes_short"] == dict.fromkeys("0123456789", 4)
    short = description["letters"]["classes_short"]
    assert short["L"] == short["X"] == available and short.get("A", 30) == both_cases
    assert description["letters"]["per_class_by_case"]["A"] == {"A": both_cases // 2, "a": both_cases // 2}


def test_build_probe_is_deterministic_and_seeded(data_dir, tmp_path) -> None:
    a, b, c = (tmp_path / f"{n}.npz" for n in "abc")
    build_probe(data_dir, a, per_class=3, mnist=10, seed=1)
    build_probe(data_dir, b, per_class=3, mnist=10, seed=1)
    build_probe(data_dir, c, per_class=3, mnist=10, seed=2)
    with np.load(a) as da, np.load(b) as db, np.load(c) as dc:
        for key in KEYS:
            np.testing.assert_array_equal(da[key], db[key], err_msg=key)
        assert not np.array_equal(da["digits_x"], dc["digits_x"])
        np.testing.assert_array_equal(da["mnist_x"], dc["mnist_x"])  # MNIST takes the first of each class


def test_build_probe_wants_a_multiple_of_ten_mnist_images(data_dir, tmp_path) -> None:
    with pytest.raises(ValueError, match="multiple of 10"):
        build_probe(data_dir, tmp_path / "probe.npz", per_class=2, mnist=15)


def test_command_line_builds_and_summarises(data_dir, tmp_path, capsys) -> None:
    out = tmp_path / "probe.npz"
    assert main(["--data-dir", str(data_dir), "--out", str(out), "--per-class", "2", "--mnist", "10"]) == 0
    printed = capsys.readouterr().out
    assert out.is_file()
    assert "digits" in printed and "(20, 64, 64)" in printed and "MB" in printed
    assert "short of 2" in printed  # the letters the fixtures lack


# --- the renderer ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(5))
def test_draw_probe_is_a_clean_white_on_black_drawing(seed: int) -> None:
    strokes = [np.array([[0, 0], [100, 400]], np.float32), np.array([[100, 400], [200, 0], [50, 200]], np.float32)]
    image = draw_probe(strokes, np.random.default_rng(seed))
    assert image.shape == (CANVAS, CANVAS) and image.dtype == np.uint8
    assert image.max() == 255 and border(image[None], 1).max() == 0
    rows, cols = np.nonzero(image > 127)
    long_side = max(np.ptp(rows), np.ptp(cols)) + 1
    assert SIZE[0] * CANVAS - 2 <= long_side <= SIZE[1] * CANVAS + 2, long_side
    centre = np.array([rows.min() + rows.max(), cols.min() + cols.max()]) / 2
    assert np.abs(centre - (CANVAS - 1) / 2).max() <= JITTER + 1, centre


def test_draw_probe_handles_a_dot_and_is_deterministic() -> None:
    strokes = [np.array([[5.0, 5.0]], np.float32), np.array([[0, 0], [0, 50]], np.float32)]
    a = draw_probe(strokes, np.random.default_rng(0))
    b = draw_probe(strokes, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert a.max() == 255
