"""Robustness sweeps, occlusion and Grad-CAM: synthetic inputs for the maths, the shipped digits CNN for the rest."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from app_samples import SAMPLES, canvas_rgba, needs_model

import recognizer
from recognizer.card import NONE_OF_THESE as NONE
from recognizer.explain import IDENTITY, SWEEPS, Sweep, explain, sweep_inputs
from recognizer.layers import describe_layers
from recognizer.saliency import GradCam, occlusion_inputs, occlusion_maps


def bar() -> np.ndarray:
    x = np.zeros((28, 28), np.float32)
    x[6:22, 12:16] = 1.0
    return x


@pytest.mark.parametrize("name", SWEEPS)
def test_every_sweep_keeps_the_input_at_its_identity_amount_and_changes_it_elsewhere(name: str) -> None:
    x = bar()
    inputs = sweep_inputs(x, name)
    _, amounts = SWEEPS[name]
    assert inputs.shape == (len(amounts), 28, 28) and inputs.dtype == np.float32
    assert inputs.min() >= 0 and inputs.max() <= 1
    identity = int(np.flatnonzero(amounts == IDENTITY[name])[0])
    assert np.allclose(inputs[identity], x, atol=1e-6)
    assert all(not np.allclose(inputs[i], x, atol=1e-3) for i in range(len(amounts)) if i != identity)


def test_sweeps_move_the_ink_the_way_they_say() -> None:
    x = bar()
    rotation, scale, thickness = sweep_inputs(x, "rotation"), sweep_inputs(x, "scale"), sweep_inputs(x, "thickness")
    flat = rotation[list(SWEEPS["rotation"][1]).index(60)]
    assert np.ptp(np.nonzero(flat > 0.5)[1]) > np.ptp(np.nonzero(x > 0.5)[1]) + 6, "turned 60 degrees: wider"
    assert scale[0].sum() < 0.3 * x.sum() < x.sum() < scale[-1].sum()
    assert thickness[0].sum() < x.sum() < thickness[-1].sum()


def test_flips_are_found_on_both_sides_of_the_reference() -> None:
    sweep = Sweep("rotation", "deg", np.array([-20.0, -10, 0, 10, 20]), 2, {}, ["1", "7", "7", NONE, "7"])
    assert sweep.flips == [(-15.0, "1"), (5.0, NONE), (15.0, "7")]
    assert Sweep("blur", "px", np.array([0.0, 1.0]), 0, {}, ["3", "3"]).flips == []


def test_occlusion_covers_every_pixel_and_maps_the_drop() -> None:
    x = bar()
    occ = occlusion_inputs(x, patch=6, stride=2)
    assert occ.patches.any(axis=0).all(), "every pixel is covered by some patch"
    ink = x[None] > 0
    # a "class" whose score is the amount of ink left: covering ink lowers it, covering the background does not
    score = occ.inputs.sum(axis=(1, 2))[:, None]
    maps = occlusion_maps(occ, np.array([x.sum()]), score)
    assert maps.shape == (1, 28, 28)
    assert maps[ink].min() > 0 and maps[0, 0, 0] == 0 and maps[0][~ink[0]].max() < maps[ink].max()


def test_grad_cam_finds_the_evidence_where_a_tiny_network_looks() -> None:
    """A network whose class 1 grows with the ink and class 0 shrinks: Grad-CAM of class 1 lies on the ink."""
    inputs = keras.Input((28, 28, 1))
    conv = keras.layers.Conv2D(1, 1, use_bias=False, kernel_initializer="ones", name="conv")(inputs)
    pooled = keras.layers.GlobalAveragePooling2D()(conv)
    outputs = keras.layers.Dense(2, activation="softmax", name="output")(pooled)
    model = keras.Model(inputs, outputs)
    model.get_layer("output").set_weights([np.array([[-1.0, 1.0]], np.float32), np.zeros(2, np.float32)])
    x = np.zeros((28, 28, 1), np.float32)
    x[:, :10] = 1.0
    cam = GradCam(model, describe_layers(model))(x, [1, 0], (28, 28))
    assert cam.shape == (2, 28, 28) and cam.min() >= 0 and cam.max() <= 1
    assert cam[0, :, :8].mean() > 0.9 and cam[0, :, 12:].mean() < 0.1, "class 1 rests on the ink"
    assert cam[1].max() == 0, "class 0 loses from the ink: no positive evidence"


def test_grad_cam_needs_a_convolution() -> None:
    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    assert GradCam(model, describe_layers(model))(np.zeros((28, 28, 1), np.float32), [0], (28, 28)) is None


@pytest.fixture(scope="module")
def rec() -> recognizer.Recognizer:
    return recognizer.load("digits")


@needs_model("digits")
def test_explain_runs_the_whole_page_through_the_network_in_one_batch(rec, monkeypatch) -> None:
    label, strokes = SAMPLES["digits"]
    calls = []
    score = rec.score_inputs
    monkeypatch.setattr(rec, "score_inputs", lambda x: calls.append(len(x)) or score(x))
    found = explain(rec, canvas_rgba(strokes), background=0)
    sweeps = sum(len(amounts) for _, amounts in SWEEPS.values())
    assert calls == [len(found.variants) + sweeps + 144], "variants, sweeps and occlusions: one pass"
    assert rec.alphabet.labels[int(found.variant_probabilities[0].argmax())] == label
    assert [s.name for s in found.sweeps] == list(SWEEPS)
    for sweep in found.sweeps:
        assert sweep.predicted[sweep.reference] in (label, NONE) and label in sweep.lines
        assert all(len(v) == len(sweep.amounts) for v in sweep.lines.values())
        assert (NONE in sweep.lines) == (rec.card.rejection is not None)
    assert found.saliency[0].label == label and len(found.saliency) == 3
    top = found.saliency[0]
    ink = found.canonical > 0.3
    assert top.grad_cam.shape == (28, 28) and top.grad_cam[ink].mean() > top.grad_cam[~ink].mean()
    assert top.occlusion[ink].mean() > top.occlusion[~ink].mean(), "covering the ink costs the class most"


@needs_model("digits")
def test_explain_a_blank_drawing_is_none(rec) -> None:
    assert explain(rec, np.zeros((280, 280, 4), np.uint8), background=0) is None


@needs_model("digits")
def test_the_mlp_has_occlusion_but_no_grad_cam() -> None:
    mlp = recognizer.load("digits", "mlp")
    found = explain(mlp, canvas_rgba(SAMPLES["digits"][1]), background=0)
    assert all(s.grad_cam is None and s.occlusion.shape == (28, 28) for s in found.saliency)
