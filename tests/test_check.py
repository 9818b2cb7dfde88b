"""Finding a foreign model's input convention and output order, with the shipped digits CNN wrapped to expect others.

The shipped CNN loses its "none of these" output first (:func:`fixtures.without_none`): models from elsewhere
have one output per label.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
from app_samples import needs_model
from fixtures import without_none

import recognizer
from recognizer.check import ModelCheck, candidates, find_convention, label_mapping, load_probe
from recognizer.convention import MNIST

pytestmark = needs_model("digits")


@pytest.fixture(scope="module")
def base() -> keras.Model:
    return without_none(recognizer.load("digits").model)


@pytest.fixture(scope="module")
def probe() -> list:
    """A quick probe: 12 drawings per class and MNIST digit."""
    parts = load_probe(recognizer.get_alphabet("digits"))
    keep = [np.concatenate([np.flatnonzero(p.labels == c)[:12] for c in range(10)]) for p in parts]
    return [type(p)(p.name, [p.images[i] for i in k], p.labels[k]) for p, k in zip(parts, keep, strict=True)]


def wrapped(base: keras.Model, shape: tuple[int, ...], *to_base: keras.layers.Layer, after=()) -> keras.Model:
    """``base`` behind layers that turn an input of ``shape`` into its (28, 28, 1) input in [0, 1]."""
    inputs = keras.Input(shape)
    x = inputs
    for layer in to_base:
        x = layer(x)
    x = base(x)
    for layer in after:
        x = layer(x)
    return keras.Model(inputs, x)


def run(model: keras.Model, probe: list) -> ModelCheck:
    return find_convention(
        lambda x: np.asarray(model(x, training=False)), tuple(model.inputs[0].shape[1:]), "digits", probe
    )


def test_the_shipped_model_needs_the_canonical_convention(base: keras.Model, probe: list) -> None:
    found = run(base, probe)
    assert found.works and found.accuracy > 0.95 and found.mapping_is_identity
    assert found.per_class.shape == (10,) and found.per_class.min() > 0.8
    assert found.convention.polarity == MNIST.polarity and found.convention.value_range == MNIST.value_range
    assert not found.convention.transposed
    assert min(a for _, a in found.table) < 0.5, "a wrong convention reads badly: the trap the check exists for"


def test_dark_ink_on_light_in_0_to_255_is_found(base: keras.Model, probe: list) -> None:
    model = wrapped(base, (28, 28, 1), keras.layers.Rescaling(-1 / 255, offset=1.0))
    found = run(model, probe)
    assert found.convention.polarity == "dark on light" and found.convention.value_range == (0.0, 255.0)
    assert found.accuracy > 0.95 and "dark ink on light" in found.verdict(recognizer.get_alphabet("digits"))


def test_a_flat_transposed_input_is_found(base: keras.Model, probe: list) -> None:
    model = wrapped(base, (784,), keras.layers.Reshape((28, 28, 1)), keras.layers.Permute((2, 1, 3)))
    found = run(model, probe)
    assert found.convention.shape == (784,) and found.convention.transposed and found.accuracy > 0.95


def test_mnist_padded_to_32_is_found(base: keras.Model, probe: list) -> None:
    found = run(wrapped(base, (32, 32, 1), keras.layers.Cropping2D(2)), probe)
    assert found.convention.side == 32 and not found.convention.resize and found.accuracy > 0.95


def test_an_emnist_style_layout_is_mapped(base: keras.Model, probe: list) -> None:
    """11 outputs: class 0 unused, digit d at output d + 1, as EMNIST numbers its letters from 1."""
    shift = keras.layers.Dense(11, use_bias=False, trainable=False)
    model = wrapped(base, (28, 28, 1), after=[shift])
    shift.set_weights([np.eye(10, 11, k=1, dtype=np.float32)])
    found = run(model, probe)
    assert found.mapping == (None, *range(10)) and found.accuracy > 0.95
    assert "outputs [0] unused" in found.verdict(recognizer.get_alphabet("digits"))


def test_no_convention_works_for_a_model_of_something_else(probe: list) -> None:
    rng = np.random.default_rng(0)
    found = find_convention(lambda x: rng.dirichlet(np.ones(10), len(x)), (28, 28, 1), "digits", probe)
    assert not found.works and "No convention works" in found.verdict(recognizer.get_alphabet("digits"))


def test_the_table_lists_what_was_tried(base: keras.Model, probe: list) -> None:
    found = run(base, probe)
    assert len(found.table) == 16 + 2, "16 of polarity, values and transposition; the winner's 2 other placements"
    assert {c.placement for c, _ in found.table} == {"mnist", "fill", "resize"}
    assert [a for _, a in found.table] == sorted((a for _, a in found.table), reverse=True)


def test_candidates_cover_polarity_range_placement_and_transposition() -> None:
    conventions = candidates((28, 28, 1))
    assert len(conventions) == 2 * 4 * 3 * 2 == len(set(conventions))
    assert MNIST in conventions
    assert {c.resize for c in candidates((32, 32, 3))} == {False, True}
    assert all(c.channels_first for c in candidates((1, 28, 28)))


def test_label_mapping_takes_the_largest_agreements() -> None:
    confusion = np.array([[0, 9, 1], [8, 0, 0]])  # label 0 -> output 1, label 1 -> output 0, output 2 unused
    assert label_mapping(confusion) == [1, 0, None]


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory, base: keras.Model) -> dict:
    """Model files without a card, in other conventions: what a practitioner brings."""
    folder = tmp_path_factory.mktemp("foreign")
    files = {}
    files["inverted_255"] = wrapped(base, (28, 28, 1), keras.layers.Rescaling(-1 / 255, offset=1.0))
    flat = keras.Sequential([keras.Input((784,)), keras.layers.Reshape((28, 28, 1)), base])  # a flat-input model
    files["flat"] = flat
    shift = keras.layers.Dense(11, use_bias=False, trainable=False)  # EMNIST-style: class 0 unused, logits
    files["emnist_logits_32"] = wrapped(base, (32, 32, 1), keras.layers.Cropping2D(2), after=[shift])
    shift.set_weights([8 * np.eye(10, 11, k=1, dtype=np.float32)])
    paths = {}
    for name, model in files.items():
        model.save(folder / f"{name}.keras")
        paths[name] = folder / f"{name}.keras"
    return paths


@pytest.mark.parametrize("name", ["inverted_255", "flat", "emnist_logits_32"])
def test_load_finds_how_to_feed_a_model_without_a_card_and_reads_drawings(foreign: dict, name: str) -> None:
    from drawing import DIGITS, draw

    rec = recognizer.load("digits", model=foreign[name])
    assert rec.card.validation["probe"]["accuracy"] > 0.95, "its own probe accuracy, never a shipped model's"
    read = sum(rec.recognize(255 - draw(DIGITS[d], width=16)).top_k[0][0] == d for d in DIGITS)
    assert read >= 9, f"{name}: {read} of 10 drawn digits read"


def test_predict_with_a_foreign_model_on_the_command_line(foreign: dict, tmp_path) -> None:
    import json
    import subprocess
    import sys

    import cv2
    from drawing import digit

    cv2.imwrite(str(tmp_path / "three.png"), 255 - digit("3"))
    for name in ("inverted_255", "emnist_logits_32"):
        cmd = [sys.executable, "-m", "recognizer", "predict", "--alphabet", "digits", "--model", str(foreign[name])]
        proc = subprocess.run([*cmd, str(tmp_path / "three.png")], capture_output=True, text=True, timeout=180)
        assert proc.returncode == 0, proc.stderr
        assert json.loads(proc.stdout)["top_k"][0][0] == "3"


def test_check_on_the_command_line_prints_the_verdict_and_json(foreign: dict) -> None:
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "recognizer", "check", str(foreign["emnist_logits_32"]), "--alphabet", "digits"]
    proc = subprocess.run([*cmd, "--json"], capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    assert found["works"] and found["mapping"] == [None, *range(10)] and found["convention"]["shape"] == [32, 32, 1]
    assert any("softmax is applied" in note for note in found["notes"])


def test_an_emnist_letters_layout_of_27_outputs_is_mapped() -> None:
    """EMNIST letters: 27 outputs, class 0 unused, A (and a) at output 1."""
    base = without_none(recognizer.load("letters").model)
    shift = keras.layers.Dense(27, use_bias=False, trainable=False)
    model = wrapped(base, (28, 28, 1), after=[shift])
    shift.set_weights([np.eye(26, 27, k=1, dtype=np.float32)])
    parts = load_probe(recognizer.get_alphabet("letters"))
    keep = np.concatenate([np.flatnonzero(parts[0].labels == c)[:8] for c in range(26)])
    probe = [type(parts[0])(parts[0].name, [parts[0].images[i] for i in keep], parts[0].labels[keep])]
    shape = tuple(model.inputs[0].shape[1:])
    found = find_convention(lambda x: np.asarray(model(x, training=False)), shape, "letters", probe)
    assert found.mapping == (None, *range(26)) and found.accuracy > 0.85
    assert all(true != said for _, true, said in found.mistakes), "the mistakes shown are mistakes"


def test_an_unclear_order_is_said_and_labels_given_by_the_user_fix_it(base: keras.Model, probe: list) -> None:
    """Outputs in reversed digit order: the check finds it; given the labels, it uses them as they are."""
    flip = keras.layers.Dense(10, use_bias=False, trainable=False)
    model = wrapped(base, (28, 28, 1), after=[flip])
    flip.set_weights([np.eye(10, dtype=np.float32)[::-1]])
    shape = tuple(model.inputs[0].shape[1:])
    classify = lambda x: np.asarray(model(x, training=False))  # noqa: E731
    found = find_convention(classify, shape, "digits", probe)
    assert found.mapping == tuple(range(9, -1, -1)) and not found.unclear
    given = find_convention(classify, shape, "digits", probe, labels=list("9876543210"))
    assert given.mapping == found.mapping and given.accuracy > 0.95
    wrong = find_convention(classify, shape, "digits", probe, labels=list("0123456789"))
    assert wrong.accuracy < 0.3, "labels given are used as they are, even when wrong"
    with pytest.raises(ValueError, match="not a label"):
        find_convention(classify, shape, "digits", probe, labels=list("012345678X"))
