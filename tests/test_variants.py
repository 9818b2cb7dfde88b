"""Why models fail: each classic preparation mistake, run through the shipped digits CNN in one batch."""

from __future__ import annotations

import numpy as np
import pytest
from app_samples import SAMPLES, canvas_rgba, needs_model
from drawing import digit

import recognizer
from recognizer.convention import MNIST, Convention
from recognizer.variants import failure_variants, sigmoid_contrast

pytestmark = needs_model("digits")


@pytest.fixture(scope="module")
def rec() -> recognizer.Recognizer:
    return recognizer.load("digits")


def test_every_variant_is_an_input_of_the_model_and_the_reference_reads_right(rec) -> None:
    label, strokes = SAMPLES["digits"]
    variants = failure_variants(canvas_rgba(strokes), rec.convention, background=0)
    assert variants[0].name == "full pipeline" and len(variants) == 8
    assert all(v.model_input.shape == rec.convention.shape for v in variants)
    probabilities = rec.classify_inputs(np.stack([v.model_input for v in variants]))  # one batch
    assert probabilities.shape == (8, 10)
    said = {v.name: rec.alphabet.labels[int(p.argmax())] for v, p in zip(variants, probabilities, strict=True)}
    assert said["full pipeline"] == label
    assert said["faint, then the sigmoid fix"] == label, "the fix gives a faint drawing its strength back"


def test_the_mistakes_change_what_the_model_gets(rec) -> None:
    small = digit("4", scale=0.3, offset=(0.25, 0.25))  # a small character in a corner
    variants = {v.name: v.model_input for v in failure_variants(small, MNIST, 0)}
    full = variants["full pipeline"]
    assert np.allclose(variants["no polarity fix"], 1 - full)
    assert np.allclose(variants["values 0..255"], 255 * full)
    assert set(np.unique(variants["hard edges"])) <= {0.0, 1.0}
    assert variants["no crop or centring"][..., 0].sum() < 0.5 * full[..., 0].sum(), "small in the whole canvas"
    assert variants["faint and soft"].max() < 0.7 < variants["faint, then the sigmoid fix"].max()


def test_a_model_of_another_convention_gets_its_own_inputs() -> None:
    convention = Convention(shape=(784,), value_range=(0, 255), polarity="dark on light")
    variants = failure_variants(canvas_rgba(SAMPLES["digits"][1]), convention, 0)
    assert all(v.model_input.shape == (784,) for v in variants)
    assert variants[2].name == "values 0..1" and variants[1].name == "no polarity fix"


def test_a_blank_drawing_has_no_variants() -> None:
    assert failure_variants(np.zeros((280, 280, 4), np.uint8), MNIST, 0) is None


def test_the_sigmoid_turns_soft_edges_hard() -> None:
    x = np.linspace(0, 1, 11, dtype=np.float32)
    y = sigmoid_contrast(x)
    assert y[0] < 0.01 and y[-1] > 0.99 and abs(float(sigmoid_contrast(np.float32(0.5))) - 0.5) < 1e-6
