"""Training on collected drawings: loading them, holding out writers, and a short real training of each kind."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fixtures import SHAPES, collect

import recognizer
from recognizer.alphabets import ALPHABETS
from recognizer.card import ModelCard
from recognizer.drawings import DrawingStore
from recognizer.training.collected import Collected, load_collected, split, train_collected
from recognizer.trainings import MIN_PER_LABEL


@pytest.fixture
def shapes(tmp_path: Path) -> tuple[str, DrawingStore]:
    url = f"sqlite:///{tmp_path}/drawings.db"
    db = DrawingStore(url)
    alphabet = db.define("Shapes", list(SHAPES))
    collect(db, alphabet, ["ada", "bob", "cy"], per_label=3)
    return url, db


def test_drawings_load_from_the_database_and_from_both_exports(shapes, tmp_path: Path) -> None:
    url, db = shapes
    from_db = load_collected(url, "custom-shapes")
    assert len(from_db) == 27 and from_db.alphabet.labels == tuple(SHAPES)
    assert sorted(set(from_db.writers)) == ["ada", "bob", "cy"]
    assert all(s and p.ndim == 2 and p.max() == 255 for s, p in zip(from_db.strokes, from_db.pictures, strict=True))
    for name, data in (("shapes.npz", db.export_npz("custom-shapes")), ("shapes.zip", db.export_zip("custom-shapes"))):
        (tmp_path / name).write_bytes(data)
        from_file = load_collected(tmp_path / name, "custom-shapes")
        assert from_file.alphabet.labels == from_db.alphabet.labels
        assert sorted(from_file.labels) == sorted(from_db.labels)
    with pytest.raises(ValueError, match="no alphabet"):
        load_collected(url, "custom-nothing")


def test_validation_holds_out_whole_writers_and_keeps_every_label_in_training(shapes) -> None:
    collected = load_collected(shapes[0], "custom-shapes")
    held = split(collected)
    assert held.any() and not held.all()
    held_writers = set(collected.writers[held])
    assert not held_writers & set(collected.writers[~held]), "a writer is on one side only"
    for label in collected.alphabet.labels:
        assert np.sum(~held & (collected.labels == label)) >= MIN_PER_LABEL - 1


def test_one_writer_gives_a_fifth_of_each_label_to_validation(shapes) -> None:
    collected = load_collected(shapes[0], "custom-shapes")
    mine = collected.writers == "ada"
    alone = Collected(
        collected.alphabet,
        collected.labels[mine],
        collected.writers[mine],
        [s for s, m in zip(collected.strokes, mine, strict=True) if m],
        [p for p, m in zip(collected.pictures, mine, strict=True) if m],
    )
    held = split(alone)
    assert [int(np.sum(held & (alone.labels == label))) for label in alone.alphabet.labels] == [1, 1, 1]


def test_training_refuses_labels_with_too_few_drawings(tmp_path: Path) -> None:
    db = DrawingStore(f"sqlite:///{tmp_path}/few.db")
    alphabet = db.define("Few", ["circle", "bar"])
    collect(db, alphabet, ["ada"], per_label=2)
    with pytest.raises(ValueError, match=f"at least {MIN_PER_LABEL} drawings"):
        train_collected(load_collected(f"sqlite:///{tmp_path}/few.db", alphabet.key), "x", out=tmp_path)


def test_a_custom_alphabet_trains_from_scratch_and_reads_its_drawings(shapes, tmp_path: Path) -> None:
    collected = load_collected(shapes[0], "custom-shapes")
    log = tmp_path / "epochs.jsonl"
    card = train_collected(collected, "test", out=tmp_path, epochs=2, log=log, samples=2000)
    path = tmp_path / "custom-shapes_test.keras"
    assert path.is_file() and ModelCard.read(path).validation == card.validation
    assert card.labels == tuple(SHAPES) and card.rejection is None
    assert card.training_data["collected"]["writers"] == 3 and card.training_data["collected"]["alphabet"] == "Shapes"
    accuracy, samples = card.accuracies["users_val"]
    assert samples >= 3 and accuracy >= 0.9, "three plain shapes, learned from two writers, read for the third"
    assert len(log.read_text().splitlines()) == 2, "one line per epoch"
    rec = recognizer.load(collected.alphabet, path)
    assert rec.recognize(collected.pictures[0], background=0).top_k[0][0] == collected.labels[0]


def test_a_shipped_alphabet_is_fine_tuned_and_compared_with_the_shipped_model(tmp_path: Path, data_dir: Path) -> None:
    db = DrawingStore(f"sqlite:///{tmp_path}/digits.db")
    collect(db, ALPHABETS["digits"], ["ada", "bob"], per_label=MIN_PER_LABEL)
    collected = load_collected(f"sqlite:///{tmp_path}/digits.db", "digits")
    card = train_collected(collected, "test", out=tmp_path, epochs=1, data_dir=data_dir, samples=500)
    assert card.training_data["fine_tuned_from"] == "digits_cnn"
    assert card.rejection is not None and card.rejection.output == 10, "it keeps its none-of-these output"
    assert {"users_val", "shipped_users_val"} <= set(card.accuracies)
    assert card.training_data["mixed_in"]["negatives"]["train_samples"] > 0


def test_the_command_line_trains_on_an_export_and_refuses_a_file_that_is_none(
    shapes, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    from recognizer.cli import main

    export = tmp_path / "shapes.npz"
    export.write_bytes(shapes[1].export_npz("custom-shapes"))
    argv = ["train", "--alphabet", "custom-shapes", "--drawings", str(export), "--epochs", "1", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert ModelCard.read(tmp_path / "custom-shapes_class.keras").labels == tuple(SHAPES)
    (tmp_path / "notes.npz").write_bytes(b"not an export")
    assert main([*argv[:4], str(tmp_path / "notes.npz")]) == 2
    assert "is not a drawings export" in capsys.readouterr().err
