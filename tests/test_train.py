"""Training end to end on small fixtures: one epoch writes a loadable model with its card (most are ``slow``)."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

import recognizer
from recognizer.card import ModelCard, card_path
from recognizer.cli import main
from recognizer.paths import DEFAULT_DATA_DIR
from recognizer.training import datasets
from recognizer.training.train import RECIPES, smoothed_crossentropy, train

FONTS = DEFAULT_DATA_DIR / "fonts"


@pytest.fixture(autouse=True)
def few_negatives(monkeypatch: pytest.MonkeyPatch) -> int:
    """Small fixtures get a few dozen "none of these" drawings, not the thousands the real data gets."""
    monkeypatch.setattr(datasets, "NEGATIVES", dict.fromkeys(datasets.NEGATIVES, 40))
    monkeypatch.setattr(datasets, "NEGATIVES_VAL", 90)
    monkeypatch.setattr(datasets, "FOREIGN_VAL", 30)
    return 40


def characters(data: datasets.Dataset, alphabet: str) -> datasets.Dataset:
    """The alphabet's characters of a set, without its "none of these" drawings."""
    keep = data.y < recognizer.get_alphabet(alphabet).num_classes
    return datasets.Dataset(data.x[keep], data.y[keep])


def test_digits_sources_hold_out_institutions_and_writers(data_dir: Path, few_negatives: int) -> None:
    sources = datasets.build("digits", data_dir, seed=0)
    assert list(sources.validation) == ["mnist_test", "unipen_places_val", "unipen_val"]
    unipen = sources.description["unipen"]
    assert unipen["unipen_places_val_writers"] == 6, "every writer of a held-out institution, none in training"
    assert unipen["unipen_val_writers"] > 0 and unipen["train_writers"] > 0
    assert unipen["unipen_val_writers"] + unipen["train_writers"] == 18
    expected = 120 + unipen["renders_per_sample"]["digit"] * unipen["train_samples"]  # MNIST + UNIPEN renderings
    drawn = len(characters(sources.train, "digits"))
    assert 0.98 * expected <= drawn <= expected, "only the odd rendering may come out blank"
    assert 0.8 * few_negatives <= len(sources.train) - drawn <= few_negatives, "and a few negatives (blobs may be)"
    assert sources.train.x.dtype == np.float32 and sources.train.x.shape[1:] == (28, 28)
    assert set(sources.negatives) == {"negatives_val", "foreign_val"}
    assert all((d.y == 10).all() for kinds in sources.negatives.values() for d in kinds.values())


def test_validation_sets_are_built_alone_for_evaluation(data_dir: Path) -> None:
    full = datasets.build("digits", data_dir, seed=0)
    alone = datasets.build("digits", data_dir, seed=0, train=False)
    assert len(alone.train) == 0
    assert alone.validation.keys() == full.validation.keys()
    for name, data in full.validation.items():
        np.testing.assert_array_equal(alone.validation[name].x, data.x)
        np.testing.assert_array_equal(alone.validation[name].y, data.y)


def test_letters_sources_use_both_cases(data_dir: Path) -> None:
    sources = datasets.build("letters", data_dir, seed=0)
    letters = recognizer.get_alphabet("letters")
    drawn = characters(sources.train, "letters").y
    assert set(np.unique(drawn)) == {letters.index(c) for c in "ALX"}
    each = {c: int((drawn == letters.index(c)).sum()) for c in "ALX"}  # A: "A" and "a"; L: "L"; X: "x"
    assert each["L"] == 4 * each["X"] and each["A"] == each["L"] + each["X"], "capitals drawn 4 times, small once"


@pytest.mark.skipif(not FONTS.is_dir(), reason="rune fonts are in ../shared/data/fonts, not present here")
def test_rune_sources_hold_out_a_font(tmp_path: Path) -> None:
    (tmp_path / "fonts").symlink_to(FONTS)
    sources = datasets.build("runes", tmp_path, seed=0, limit=3)
    assert set(sources.validation) == {"templates_val", "unseen_font_val", "train_fonts_new_renders_val"}
    assert len(characters(sources.train, "runes")) == 24 * 3 * 3  # templates + two training fonts
    assert set(np.unique(sources.validation["unseen_font_val"].y)) == set(range(24))


@pytest.mark.slow
def test_one_epoch_writes_a_loadable_model_with_its_card(data_dir: Path, tmp_path: Path) -> None:
    progress: list[tuple[float, str]] = []
    card = train("digits", "cnn", data_dir, epochs=1, out=tmp_path, on_progress=lambda f, m: progress.append((f, m)))
    path = tmp_path / "digits_cnn.keras"
    on_disk = json.loads(path.with_suffix(".json").read_text())
    assert on_disk == json.loads(json.dumps(card.to_json())), "the card returned is the card written"
    assert ModelCard.read(path).to_json() == on_disk
    assert on_disk["labels"] == list("0123456789")
    assert on_disk["input"]["shape"] == [28, 28, 1]
    assert [layer["name"] for layer in on_disk["architecture"]][:2] == ["input", "conv1"]
    assert list(on_disk["validation"]) == ["mnist_test", "unipen_places_val", "unipen_val"]
    for name in ("unipen_places_val", "unipen_val"):
        assert 0 <= on_disk["validation"][name]["accuracy"] <= 1
        assert len(on_disk["validation"][name]["confusion_matrix"]) == 10
    places = on_disk["validation"]["unipen_places_val"]
    assert places["by_group"] == {"art": {"accuracy": places["accuracy"], "samples": places["samples"]}}
    rejected = on_disk["rejection"]["figures"]["unipen_places_val"]
    assert rejected["by_group"] == {"art": {"rate": rejected["rate"], "samples": rejected["samples"]}}
    assert "by_group" not in on_disk["rejection"]["figures"]["unipen_val"], "one place: nothing to split"
    assert on_disk["training"]["seconds"] > 0 and on_disk["command"].startswith("python -m recognizer train")
    assert "elastic" in on_disk["augmentation"]
    assert progress[0][0] == 0.0 and progress[-1][0] == 1.0
    assert any("epoch 1/1 done" in message for _, message in progress)
    rec = recognizer.load("digits", model=path)
    assert rec.card.name == "digits_cnn"


@pytest.mark.slow
def test_letters_train_with_their_recipe_and_ship_a_plain_cnn(data_dir: Path, tmp_path: Path) -> None:
    card = train("letters", "cnn", data_dir, epochs=1, out=tmp_path, on_progress=None)
    recipe = RECIPES["letters"]
    assert recipe.cnn["batch_norm"] and card.training["batch_norm"].startswith("folded")
    assert card.training["label_smoothing"] == recipe.label_smoothing
    assert card.augmentation["refit"] == recipe.augmentation.refit
    rec = recognizer.load("letters", model=tmp_path / "letters_cnn.keras")
    assert "conv3b" in [info.name for info in rec.layers]
    assert [info.kind for info in rec.layers].count("normalisation") == 0, "batch norm is folded away"


def test_smoothed_crossentropy_is_keras_label_smoothing_on_class_indices() -> None:
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(5), size=6).astype(np.float32)
    labels = np.array([0, 4, 2, 2, 1, 3])
    ours = smoothed_crossentropy(0.1)(labels, probabilities)
    keras_loss = keras.losses.CategoricalCrossentropy(label_smoothing=0.1, reduction=None)
    np.testing.assert_allclose(ours, keras_loss(np.eye(5)[labels], probabilities), rtol=1e-5)


@pytest.mark.slow
def test_training_is_deterministic(data_dir: Path, tmp_path: Path) -> None:
    for run in ("a", "b"):
        train("digits", "mlp", data_dir, epochs=1, out=tmp_path / run, seed=3, on_progress=None)
    weights = [recognizer.load("digits", model=tmp_path / r / "digits_mlp.keras").model.get_weights() for r in "ab"]
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_cli_train_and_evaluate(data_dir: Path, tmp_path: Path, capsys, monkeypatch) -> None:
    args = ["--alphabet", "letters", "--data-dir", str(data_dir)]
    assert main(["train", *args, "--model", "mlp", "--epochs", "1", "--out", str(tmp_path)]) == 0
    model = str(tmp_path / "letters_mlp.keras")
    png = tmp_path / "cm.png"
    assert main(["evaluate", *args, "--model", model, "--data", "unipen_val", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "letters_mlp.keras on unipen_val: accuracy" in out and "most frequent confusions" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    assert main(["evaluate", *args, "--model", model, "--data", "nonsense"]) == 2

    card = json.loads(card_path(model).read_text())
    stale = json.loads(json.dumps(card))
    stale["validation"]["unipen_val"]["accuracy"] = 0.123  # as if measured on older validation sets
    card_path(model).write_text(json.dumps(stale))
    assert main(["evaluate", *args, "--model", model, "--card"]) == 0
    again = json.loads(card_path(model).read_text())
    assert again["validation"] == card["validation"] and again["rejection"] == card["rejection"]
    assert again["training_data"] == card["training_data"], "how it was trained stays as recorded"
    assert again["training"]["remeasured"]["date"] and again["training"]["history"] == card["training"]["history"]


def test_mnist_source_prefers_npz_then_idx_and_never_downloads(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"no mnist\.npz"):
        datasets.mnist_source(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"")
    assert datasets.mnist_source(tmp_path) == tmp_path
    (tmp_path / datasets.MNIST_FILE).write_bytes(b"")
    assert datasets.mnist_source(tmp_path) == tmp_path / datasets.MNIST_FILE
