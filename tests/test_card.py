"""Model cards: written and read back unchanged, complete for every shipped model, unreadable ones named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recognizer.alphabets import ALPHABETS
from recognizer.card import ModelCard, ModelFileError, card_path, rejection_title
from recognizer.convention import MNIST, Convention

SHIPPED = [alphabet.model_path(model) for alphabet in ALPHABETS.values() for model in alphabet.models]


def test_a_card_reads_back_as_written(tmp_path: Path) -> None:
    card = ModelCard(
        "custom",
        "digits",
        tuple("0123456789"),
        input=Convention(shape=(784,), value_range=(0, 255), polarity="dark on light"),
        architecture=({"name": "dense", "type": "Dense", "output_shape": [10], "params": 7850},),
        validation={"val": {"samples": 40, "accuracy": 0.9}},
    )
    card.write(tmp_path / "custom.keras")
    assert ModelCard.read(tmp_path / "custom.keras") == card
    assert card.params == 7850 and card.accuracies == {"val": (0.9, 40)}


def test_a_model_without_a_card_has_none(tmp_path: Path) -> None:
    assert ModelCard.read(tmp_path / "bare.keras") is None


@pytest.mark.parametrize("text", ["{not json", '{"name": "x"}', '{"name": "x", "alphabet": "digits", "labels": 5}'])
def test_an_unreadable_card_is_named(tmp_path: Path, text: str) -> None:
    card_path(tmp_path / "bad.keras").write_text(text)
    with pytest.raises(ModelFileError, match=r"bad\.json"):
        ModelCard.read(tmp_path / "bad.keras")


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_model_has_a_complete_card(path: Path) -> None:
    card = ModelCard.read(path)
    alphabet = ALPHABETS[card.alphabet]
    assert card.name == path.stem and card.labels == alphabet.labels and card.input == MNIST
    assert card.architecture[-1]["name"] == "output" and card.params > 0
    assert card.training_data and card.augmentation and card.training["seconds"] > 0
    assert card.command.startswith("python -m recognizer train")
    assert card.accuracies and all(samples > 0 for _, samples in card.accuracies.values())
    assert json.loads(card_path(path).read_text()) == card.to_json(), "the file is exactly what the card writes"


def test_shipped_digits_model_keeps_its_mnist_accuracy() -> None:
    accuracy, samples = ModelCard.read(ALPHABETS["digits"].model_path()).accuracies["mnist_test"]
    assert accuracy >= 0.995 and samples == 10_000


@pytest.mark.parametrize("alphabet", list(ALPHABETS))
def test_every_shipped_cnn_rejects_as_its_targets_ask_and_says_so_in_its_card(alphabet: str) -> None:
    card = ModelCard.read(ALPHABETS[alphabet].model_path("cnn"))
    assert card.rejection is not None and card.rejection.output == len(card.labels)
    figures = card.rejection.figures
    assert "negatives_val" in figures and all(f["samples"] >= 1000 for f in figures.values())
    assert set(figures["negatives_val"]["by_kind"]) >= {"scribble", "zigzag", "spiral", "star", "inked"}
    assert {name for name in figures if card.rejection.meets(name) is not None} >= {"negatives_val"}
    assert all(card.rejection.meets(name) is not False for name in figures), {
        name: f["rate"] for name, f in figures.items() if card.rejection.meets(name) is False
    }


@pytest.mark.parametrize("alphabet", list(ALPHABETS))
def test_every_rejection_figure_has_a_title_for_people(alphabet: str) -> None:
    card = ModelCard.read(ALPHABETS[alphabet].model_path("cnn"))
    titles = [rejection_title(name) for name in card.rejection.figures]
    assert all("_" not in title for title in titles), titles
