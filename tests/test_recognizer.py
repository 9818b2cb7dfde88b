"""The public API on the shipped models, bad model files, and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from drawing import DIGITS, digit, noisy_photo, rgba_on_transparent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import recognizer
from recognizer.alphabets import get_alphabet
from recognizer.model import build_cnn, build_mlp, fold_batch_norm, save_model

ROOT = Path(__file__).resolve().parent.parent
DIGITS_MODEL = get_alphabet("digits").model_path()
needs_digits_model = pytest.mark.skipif(not DIGITS_MODEL.exists(), reason=f"{DIGITS_MODEL} not trained yet")


@pytest.fixture(scope="module")
def rec() -> recognizer.Recognizer:
    if not DIGITS_MODEL.exists():
        pytest.skip(f"{DIGITS_MODEL} not trained yet")
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
    assert abs(result.probabilities.sum() - 1) < 1e-4
    assert result.model_input.shape == (28, 28) and result.model_input.dtype == np.float32
    assert list(result.steps)[-1] == "model input"
    assert np.array_equal(list(result.steps.values())[-1], result.model_input)
    names = list(result.activations)
    assert names == [n for n in rec.layer_names] and names[-1] == "output"
    assert result.activations["conv1"].shape == (28, 28, 32)
    assert np.allclose(result.activations["output"], result.probabilities)
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


@needs_digits_model
def test_shipped_metadata_is_complete() -> None:
    meta = json.loads(DIGITS_MODEL.with_suffix(".json").read_text())
    assert meta["labels"] == list("0123456789")
    for key in ("input", "architecture", "training_data", "command", "validation", "augmentation"):
        assert key in meta
    assert meta["validation"]["mnist_test"]["accuracy"] >= 0.994
    assert all(layer["name"] for layer in meta["architecture"])


# --- model files that do not fit ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("models")
    save_model(build_mlp(10), folder / "ten.keras", {"labels": list("0123456789")})
    save_model(build_cnn(5), folder / "five.keras", {})
    (folder / "corrupt.keras").write_bytes(b"PK\x03\x04 this is not a zip archive")
    (folder / "text.keras").write_text("hello")
    return folder


def test_cnn_layers_are_named_by_block() -> None:
    net = build_cnn(26, blocks=((8,), (16, 16), (32, 32)), dense=64)
    assert [layer.name for layer in net.layers] == [
        "input",
        *("conv1", "pool1", "conv2a", "conv2b", "pool2", "conv3a", "conv3b", "pool3"),
        *("flatten", "dropout1", "dense", "dropout2", "output"),
    ]
    assert net.get_layer("conv3b").filters == 32 and net.get_layer("dense").units == 64
    assert net.outputs[0].shape[-1] == 26


def test_batch_norm_folds_into_the_convolutions() -> None:
    sizes = {"blocks": ((4,), (8, 8)), "dense": 16}
    trained = build_cnn(3, batch_norm=True, **sizes)
    rng = np.random.default_rng(0)
    for layer in trained.layers:  # statistics a training run could have left
        if layer.name.startswith("bn"):
            n = layer.get_weights()[0].shape[0]
            gamma, beta, mean, variance = (
                rng.uniform(0.5, 2, n),
                rng.normal(0, 1, n),
                rng.normal(0, 1, n),
                rng.uniform(0.5, 2, n),
            )
            layer.set_weights([gamma, beta, mean, variance])
    plain = fold_batch_norm(trained, build_cnn(3, **sizes))
    x = rng.uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(plain(x, training=False), trained(x, training=False), atol=1e-5)
    assert [layer.name for layer in plain.layers] == [layer.name for layer in build_cnn(3, **sizes).layers]


def test_load_a_model_by_path(model_dir: Path) -> None:
    rec = recognizer.load("digits", model=model_dir / "ten.keras")
    assert rec.layer_names == ["flatten", "dense1", "dense2", "dense3", "dense4", "output"]
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


def test_metadata_labels_must_match_the_alphabet(model_dir: Path) -> None:
    save_model(build_mlp(10), model_dir / "wrong_labels.keras", {"labels": list("ABCDEFGHIJ")})
    with pytest.raises(recognizer.ModelFileError, match="labels differ"):
        recognizer.load("digits", model=model_dir / "wrong_labels.keras")


def test_unknown_alphabet_or_model_name() -> None:
    with pytest.raises(ValueError, match="unknown alphabet"):
        recognizer.load("klingon")
    with pytest.raises(ValueError, match="unknown model"):
        recognizer.load("digits", model="transformer")


# --- command line ----------------------------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "recognizer", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


@needs_digits_model
def test_load_runs_tensorflow_on_one_thread_in_a_fresh_process() -> None:
    code = "import recognizer, tensorflow as tf; recognizer.load('digits'); "
    code += "print(tf.config.threading.get_intra_op_parallelism_threads())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "1"


def test_cli_predict_prints_json_lines_and_reports_bad_files(tmp_path: Path) -> None:
    seven, blank, broken = tmp_path / "seven.png", tmp_path / "blank.png", tmp_path / "broken.png"
    cv2.imwrite(str(seven), 255 - digit("7"))
    cv2.imwrite(str(blank), np.zeros((50, 50), np.uint8))
    broken.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    proc = run_cli("predict", "--alphabet", "digits", str(seven), str(broken), str(blank), str(tmp_path / "none.png"))
    assert proc.returncode == 2, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [line["file"] for line in lines] == [str(seven), str(broken), str(blank), str(tmp_path / "none.png")]
    assert lines[0]["blank"] is False and lines[0]["top_k"][0][0] == "7" and len(lines[0]["top_k"]) == 3
    assert "error" in lines[1] and "error" in lines[3]
    assert lines[2]["blank"] is True and lines[2]["top_k"] == []


@needs_digits_model
def test_cli_predict_exit_code_is_0_when_all_files_read(tmp_path: Path) -> None:
    path = tmp_path / "three.jpg"
    cv2.imwrite(str(path), noisy_photo(digit("3")))
    proc = run_cli("predict", "--alphabet", "digits", str(path))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["top_k"][0][0] == "3"


def test_cli_rejects_an_unknown_alphabet() -> None:
    proc = run_cli("predict", "--alphabet", "greek", "x.png")
    assert proc.returncode == 2 and "invalid choice" in proc.stderr
