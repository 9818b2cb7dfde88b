"""Finding a foreign model's input convention and output order, with the shipped digits CNN wrapped to expect others."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from app_samples import needs_model

import recognizer
from recognizer.check import ModelCheck, candidates, check_model, label_mapping, load_probe
from recognizer.convention import MNIST

pytestmark = needs_model("digits")


@pytest.fixture(scope="module")
def base() -> keras.Model:
    return recognizer.load("digits").model


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
    return check_model(
        lambda x: np.asarray(model(x, training=False)), tuple(model.inputs[0].shape[1:]), "digits", probe
    )


def test_the_shipped_model_needs_the_canonical_convention(base: keras.Model, probe: list) -> None:
    found = run(base, probe)
    assert found.works and found.accuracy > 0.95 and found.mapping_is_identity
    assert found.convention.polarity == MNIST.polarity and found.convention.value_range == MNIST.value_range
    assert not found.convention.transposed
    worst = found.table[-1][1]
    assert worst < 0.5, "a wrong convention reads badly: the trap the check exists for"


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
    found = check_model(lambda x: rng.dirichlet(np.ones(10), len(x)), (28, 28, 1), "digits", probe)
    assert not found.works and "No convention works" in found.verdict(recognizer.get_alphabet("digits"))


def test_candidates_cover_polarity_range_placement_and_transposition() -> None:
    conventions = candidates((28, 28, 1))
    assert len(conventions) == 2 * 4 * 3 * 2 == len(set(conventions))
    assert MNIST in conventions
    assert {c.resize for c in candidates((32, 32, 3))} == {False, True}
    assert all(c.channels_first for c in candidates((1, 28, 28)))


def test_label_mapping_takes_the_largest_agreements() -> None:
    confusion = np.array([[0, 9, 1], [8, 0, 0]])  # label 0 -> output 1, label 1 -> output 0, output 2 unused
    assert label_mapping(confusion) == [1, 0, None]
