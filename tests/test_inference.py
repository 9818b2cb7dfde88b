"""The public API on the shipped models, bad model files, and the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import keras
import numpy as np
import pytest
from app_samples import model_file, needs_model
from drawing import DIGITS, NOT_CHARACTERS, digit, draw, noisy_photo, rgba_on_transparent
from fixtures import LETTER_STROKES, none_biased_model
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import recognizer
from recognizer.backend import run_split, tf
from recognizer.card import ModelCard, Rejection
from recognizer.convention import Convention
from recognizer.inference import SPLIT_BATCH
from recognizer.modelfile import save_model
from recognizer.preprocess import Step
from recognizer.training.architectures import build_cnn, build_mlp

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def rec() -> recognizer.Recognizer:
    if not model_file("digits").is_file():
        pytest.skip(f"{model_file('digits')} not trained yet")
    return recognizer.load("digits")


def canvas(image: np.ndarray) -> np.ndarray:
    """A drawing as the app's canvas returns it: 280x280 RGBA, white ink on an opaque black background."""
    return np.dstack([image] * 3 + [np.full(image.shape, 255, np.uint8)])


@pytest.mark.parametrize("label", list(DIGITS))
def test_clearly_drawn_digits_are_recognised(rec, label: str) -> None:
    result = rec.recognize(canvas(digit(label)))
    assert result.top_k[0][0] == label, result.top_k


@pytest.mark.parametrize(
    "image",
    [
        pytest.param(255 - digit("4"), id="black on white"),
        pytest.param(noisy_photo(digit("4", size=500, width=10)), id="photo"),
        pytest.param(rgba_on_transparent(digit("4")), id="transparent"),
        pytest.param(digit("4", width=3), id="thin"),
        pytest.param(digit("4", width=45), id="thick"),
        pytest.param(digit("4", scale=0.15, offset=(0.3, 0.3)), id="small in a corner"),
    ],
)
def test_the_same_digit_drawn_differently(rec, image: np.ndarray) -> None:
    assert rec.recognize(image).top_k[0][0] == "4"


def test_result_contract(rec) -> None:
    result = rec.recognize(canvas(digit("7")))
    assert not result.is_blank and result.blank_reason is None
    assert len(result.top_k) == 3
    labels, probs = zip(*result.top_k, strict=True)
    assert set(labels) <= set(rec.alphabet.labels)
    assert list(probs) == sorted(probs, reverse=True) and all(isinstance(p, float) for p in probs)
    assert abs(result.probabilities.sum() + result.none_probability - 1) < 1e-4
    assert result.model_input.shape == (28, 28) and result.model_input.dtype == np.float32
    assert list(result.steps)[-1] == Step.MODEL_INPUT
    assert np.array_equal(list(result.steps.values())[-1], result.model_input)
    names = list(result.activations)
    assert names == [info.name for info in rec.layers] and rec.layers[-1].kind == "output"
    assert result.activations["conv1"].shape == (28, 28, 32)
    raw = result.activations["output"]
    assert raw.shape == (11,) and np.allclose(rec.card.label_probabilities(raw), result.probabilities)
    assert np.isclose(raw[10], result.none_probability), "the last output is none of these"
    assert rec.alphabet.labels == tuple("0123456789") and rec.alphabet.names == rec.alphabet.labels


def test_blank_result(rec) -> None:
    result = rec.recognize(np.zeros((280, 280, 4), np.uint8))
    assert result.is_blank and result.top_k == [] and result.activations == {}
    assert result.blank_reason


def test_invalid_input_raises_value_error(rec) -> None:
    with pytest.raises(ValueError, match="uint8"):
        rec.recognize(np.zeros((28, 28), np.float32))
    with pytest.raises(ValueError, match="shape"):
        rec.recognize(np.zeros((28, 28, 2), np.uint8))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    arrays(
        np.uint8,
        st.tuples(st.integers(8, 200), st.integers(8, 200), st.sampled_from([0, 3, 4])).map(
            lambda s: s[:2] if s[2] == 0 else s
        ),
    )
)
def test_arbitrary_images_never_crash(rec, image: np.ndarray) -> None:
    result = rec.recognize(image)
    assert result.is_blank or len(result.top_k) == 3


def test_classify_batches(rec) -> None:
    batch = np.stack([rec.recognize(canvas(digit(d))).model_input for d in "0123456789"])
    probabilities = rec.classify(batch)
    assert probabilities.shape == (10, 10)
    assert (probabilities.argmax(axis=1) == np.arange(10)).mean() >= 0.9


@pytest.mark.parametrize("least", [0, 1, 3, 20])
def test_run_split_gives_the_batch_back_in_order_however_it_is_split(least: int) -> None:
    x = np.arange(10, dtype=np.float32)[:, None]
    np.testing.assert_array_equal(run_split(tf.function(lambda batch: batch * 2), x, least), x * 2)


def test_a_large_batch_split_across_threads_scores_as_one_input_at_a_time(rec) -> None:
    batch = np.random.default_rng(0).random((4 * SPLIT_BATCH + 3, 28, 28)).astype(np.float32)
    together = rec.classify_inputs(rec.convention.apply(batch))
    alone = np.concatenate([rec.classify_inputs(rec.convention.apply(x[None])) for x in batch])
    np.testing.assert_allclose(together, alone, atol=1e-5)


# --- model files that do not fit ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    save_model(build_mlp(10), folder / "ten.keras", ModelCard("ten", "digits", tuple("0123456789")))
    save_model(build_cnn(5), folder / "five.keras", ModelCard("five", "digits", tuple("01234")))
    (folder / "corrupt.keras").write_bytes(b"PK\x03\x04 this is not a zip archive")
    (folder / "text.keras").write_text("hello")
    return folder


def test_load_a_model_by_path(model_dir: Path) -> None:
    rec = recognizer.load("digits", model=model_dir / "ten.keras")
    assert [info.name for info in rec.layers] == ["flatten", "dense1", "dense2", "dense3", "dense4", "output"]
    assert len(rec.recognize(digit("1")).top_k) == 3


@pytest.mark.parametrize(
    ("file", "problem"),
    [
        ("missing.keras", "not found"),
        ("corrupt.keras", "not a Keras model file"),
        ("text.keras", "not a Keras model file"),
        ("five.keras", "5 outputs, but alphabet 'digits' has 10 labels"),
    ],
)
def test_bad_model_files_name_the_file_and_the_problem(model_dir: Path, file: str, problem: str) -> None:
    with pytest.raises(recognizer.ModelFileError, match=problem) as err:
        recognizer.load("digits", model=model_dir / file)
    assert file in str(err.value)


def test_card_labels_must_match_the_alphabet(model_dir: Path) -> None:
    save_model(build_mlp(10), model_dir / "wrong_labels.keras", ModelCard("wrong", "letters", tuple("ABCDEFGHIJ")))
    with pytest.raises(recognizer.ModelFileError, match="labels differ"):
        recognizer.load("digits", model=model_dir / "wrong_labels.keras")


def test_unknown_alphabet_or_model_name() -> None:
    with pytest.raises(ValueError, match="unknown alphabet"):
        recognizer.load("klingon")
    with pytest.raises(ValueError, match="unknown model"):
        recognizer.load("digits", model="transformer")


@needs_model("digits")
def test_load_runs_tensorflow_on_one_thread_in_a_fresh_process() -> None:
    code = "import recognizer, tensorflow as tf; recognizer.load('digits'); "
    code += "print(tf.config.threading.get_intra_op_parallelism_threads())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "1"


# --- a model with another input convention -----------------------------------------------------------------------


def flat_dark_on_light_model() -> keras.Model:
    """784 values in 0..255, black ink on white, as many models trained outside this project expect."""
    inputs = keras.Input((784,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(keras.layers.Rescaling(1 / 255)(inputs))
    return keras.Model(inputs, keras.layers.Dense(10, activation="softmax", name="probs")(hidden))


def channels_first_model() -> keras.Model:
    """(1, 28, 28) in -1..1, as a PyTorch-style model expects."""
    return keras.Sequential(
        [keras.Input((1, 28, 28)), keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax", name="probs")]
    )


CONVENTIONS = {
    "flat 0..255 dark on light": (
        flat_dark_on_light_model,
        Convention(shape=(784,), value_range=(0, 255), polarity="dark on light"),
        lambda canonical: (255 * (1 - canonical)).reshape(1, 784),
    ),
    "channels first -1..1": (
        channels_first_model,
        Convention(shape=(1, 28, 28), channels_first=True, value_range=(-1, 1)),
        lambda canonical: (2 * canonical - 1).reshape(1, 1, 28, 28),
    ),
}


@pytest.mark.parametrize("name", CONVENTIONS)
def test_a_model_with_another_convention_runs_on_convention_apply(tmp_path: Path, name: str) -> None:
    """forward(convention.apply(canonical)) gives what the model gives on the tensor built by hand."""
    build, convention, by_hand = CONVENTIONS[name]
    keras.utils.set_random_seed(0)
    model = build()
    path = tmp_path / "custom.keras"
    save_model(model, path, ModelCard("custom", "digits", tuple("0123456789"), input=convention))
    rec = recognizer.load("digits", model=path)
    assert rec.convention == convention
    assert rec.layers[-1].kind == "output" and rec.layers[-1].name == "probs"

    drawing = digit("7")
    canonical = recognizer.preprocess(drawing).model_input
    out = rec.forward(rec.convention.apply(canonical))
    assert out.probabilities.shape == (10,) and out.probabilities.sum() == pytest.approx(1, abs=1e-5)
    expected = model.predict(by_hand(canonical), verbose=0)[0]
    assert np.allclose(out.probabilities, expected, atol=1e-6)
    assert not np.allclose(model.predict(by_hand(1 - canonical), verbose=0)[0], expected, atol=1e-3), (
        "the other polarity gives other probabilities, so the comparison above can tell them apart"
    )
    assert np.allclose(rec.recognize(drawing).probabilities, out.probabilities, atol=1e-6)


@pytest.mark.parametrize("side", [16, 160])
def test_tightly_cropped_scans_are_read(rec, side: int) -> None:
    """A digit cut to its ink, as postal-code scans are (16x16, or enlarged), dark on light: read, not blank."""
    read = 0
    for label in "0123456789":
        ink = cv2.resize(digit(label, size=320, width=40, scale=1.0), (16, 16), interpolation=cv2.INTER_AREA)
        scan = 255 - cv2.resize(ink, (side, side), interpolation=cv2.INTER_LINEAR)
        result = rec.recognize(scan)
        assert not result.is_blank, f"{label}: {result.blank_reason}"
        read += result.top_k[0][0] == label
    assert read >= 9, f"{read} of 10 tightly cropped digits read"


# --- "none of these" ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("bias", "rejected"), [(4.0, True), (-4.0, False)])
def test_a_model_that_rejects_says_none_of_these(tmp_path: Path, bias: float, rejected: bool) -> None:
    path = tmp_path / "rejecting.keras"
    card = ModelCard("rejecting", "digits", tuple("0123456789"), rejection=Rejection(output=10, threshold=0.5))
    save_model(none_biased_model(bias), path, card)
    rec = recognizer.load("digits", model=path)
    res = rec.recognize(digit("7"))
    none = np.exp(bias) / (np.exp(bias) + 10)
    assert res.is_rejected is rejected and res.none_probability == pytest.approx(none, rel=1e-5)
    assert res.probabilities.shape == (10,) and res.probabilities.sum() == pytest.approx(1 - none, rel=1e-5)
    assert len(res.top_k) == 3 and all(label in "0123456789" for label, _ in res.top_k), "real classes only"
    scores = rec.score_inputs(rec.convention.apply(np.zeros((4, 28, 28), np.float32)))
    assert scores.probabilities.shape == (4, 10) and scores.rejected.tolist() == [rejected] * 4


def test_a_model_without_that_output_never_rejects(tmp_path: Path) -> None:
    path = tmp_path / "plain.keras"
    save_model(build_mlp(10), path, ModelCard("plain", "digits", tuple("0123456789")))
    plain = recognizer.load("digits", model=path)
    assert plain.card.rejection is None
    res = plain.recognize(np.tile(digit("8"), 2))  # two eights side by side: nothing it knows
    assert res.none_probability == 0 and not res.is_rejected and res.probabilities.sum() == pytest.approx(1)


@pytest.mark.parametrize("alphabet", ["digits", "letters", "runes"])
@pytest.mark.parametrize("shape", list(NOT_CHARACTERS))
def test_the_shipped_cnns_say_none_of_these_to_shapes_that_are_no_character(alphabet: str, shape: str) -> None:
    if not model_file(alphabet).is_file():
        pytest.skip(f"{model_file(alphabet)} not trained yet")
    res = recognizer.load(alphabet).recognize(canvas(draw(NOT_CHARACTERS[shape])), background=0)
    assert res.is_rejected, f"{shape} read as {res.top_k[0]} with none of these at {res.none_probability:.2f}"


@needs_model("digits")
@pytest.mark.parametrize("letter", ["A", "x"])
def test_letters_on_the_digits_alphabet_are_none_of_these(letter: str) -> None:
    res = recognizer.load("digits").recognize(canvas(draw(LETTER_STROKES[letter])), background=0)
    assert res.is_rejected, f"{letter} read as {res.top_k[0]}"
