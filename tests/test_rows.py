"""Rows of digits for the multi-head network: layout, MNIST tiles, the sets built from fixtures, one epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from drawing import DIGITS

from recognizer.card import ModelCard
from recognizer.reading import ROW_SHAPE, ROW_SLOTS
from recognizer.training import rows
from recognizer.training.architectures import build_row_cnn
from recognizer.training.render import layout_row
from recognizer.training.train import train_rows


def test_a_row_is_laid_out_left_to_right_one_character_height_high() -> None:
    chars = [[np.array(s, np.float64) for s in DIGITS[c]] for c in "123"]
    for gaps in [(0.3, 0.3), (-0.05, -0.05)]:
        strokes = layout_row(chars, np.random.default_rng(0), gaps=gaps)
        assert len(strokes) == sum(len(c) for c in chars)
        pts = np.concatenate(strokes)
        assert 0.8 < np.ptp(pts[:, 1]) < 1.5, "about one character high"
        centres = [s[:, 0].mean() for s in strokes]
        assert centres == sorted(centres), "left to right"


def test_mnist_tiles_paste_exactly_into_28_by_140_or_vary() -> None:
    tiles = np.random.default_rng(0).integers(0, 256, (5, 28, 28)).astype(np.uint8)
    exact = rows.mnist_row(tiles)
    assert exact.shape == ROW_SHAPE and (exact[:, 28:56] == tiles[1]).all()
    varied = rows.mnist_row(tiles, np.random.default_rng(1))
    assert varied.dtype == np.uint8 and varied.shape[0] > 28 and varied.max() > 0


def test_labels_are_left_justified_with_no_digit_after() -> None:
    assert rows.row_labels([4, 2]).tolist() == [4, 2, rows.NO_DIGIT, rows.NO_DIGIT, rows.NO_DIGIT]


def test_row_sets_go_through_row_input(data_dir: Path) -> None:
    sources = rows.build_rows(data_dir, limit=30)
    assert sources.train.x.shape[1:] == ROW_SHAPE and sources.train.y.shape[1:] == (ROW_SLOTS,)
    assert set(sources.validation) == {"mnist_rows_test", "unipen_places_rows_val", "unipen_rows_val"}
    assert all((d.y != rows.NO_DIGIT).all() for d in sources.validation.values()), "validation rows have five"
    assert 0 <= sources.train.x.min() and sources.train.x.max() <= 1


def test_the_row_network_has_a_softmax_head_per_slot() -> None:
    net = build_row_cnn(ROW_SLOTS, 11)
    out = net(np.zeros((2, *ROW_SHAPE, 1), np.float32)).numpy()
    assert out.shape == (2, ROW_SLOTS, 11)
    np.testing.assert_allclose(out.sum(axis=-1), 1, rtol=1e-5)


@pytest.mark.slow
def test_one_epoch_writes_a_row_model_with_its_card(data_dir: Path, tmp_path: Path) -> None:
    card = train_rows(data_dir, epochs=1, out=tmp_path, limit=40, on_progress=None)
    assert (tmp_path / "digits_row.keras").is_file() and ModelCard.read(tmp_path / "digits_row.keras") == card
    assert set(card.validation) == {"mnist_rows_test", "unipen_places_rows_val", "unipen_rows_val"}
    assert all(0 <= v["accuracy"] <= v["digit_accuracy"] <= 1 for v in card.validation.values())
