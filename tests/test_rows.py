"""Rows of digits for the row networks: layout, MNIST tiles, the sets built from fixtures, CTC, one epoch."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from drawing import DIGITS

from recognizer.backend import keras
from recognizer.card import ModelCard
from recognizer.reading import ROW_SHAPE, ROW_SLOTS, row_input
from recognizer.training import rows
from recognizer.training.architectures import build_cnn, build_row_cnn, build_sequence_cnn, copy_weights
from recognizer.training.render import layout_row
from recognizer.training.train import ctc_loss, row_slots, train_rows


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


def test_a_row_cut_perfectly_is_each_character_alone_on_the_same_paper() -> None:
    chars = [[np.array(s, np.float64) for s in DIGITS[c]] for c in "173"]
    row, cut = rows.render_cut_row(chars, np.random.default_rng(5))
    assert (row == rows.render_row(chars, np.random.default_rng(5))).all(), "the same row as render_row"
    assert len(cut) == 3 and all(c.shape == row.shape for c in cut)
    paper = np.median(row)
    inked = [np.abs(c.astype(int) - paper) > 60 for c in cut]
    assert not (inked[0] & inked[2]).any(), "the first and last characters apart"
    assert (np.abs(row.astype(int) - paper) > 60).sum() >= sum(i.sum() for i in inked) * 0.9, "together, the row"
    alone, (only,) = rows.render_cut_row(chars[:1], np.random.default_rng(2))
    assert (only == alone).all()


def test_raw_mnist_rows_go_to_the_network_as_they_are() -> None:
    tiles = np.random.default_rng(0).integers(0, 256, (2, 28, 28)).astype(np.uint8)
    drawn, background = rows._draw(("mnist raw", tiles), np.random.default_rng(0))
    x = rows._to_input(drawn, background)
    assert x.shape == ROW_SHAPE and x.dtype == np.float32
    np.testing.assert_allclose(x[:, 28:56], tiles[1] / 255, rtol=1e-6)
    assert not x[:, 56:].any(), "fewer than five digits: blank on the right"
    exact, background = rows._draw(("mnist exact", tiles), np.random.default_rng(0))
    np.testing.assert_array_equal(rows._to_input(exact, background), row_input(exact, background))


def test_labels_are_left_justified_with_no_digit_after() -> None:
    assert rows.row_labels([4, 2]).tolist() == [4, 2, rows.NO_DIGIT, rows.NO_DIGIT, rows.NO_DIGIT]


def test_training_rows_restyle_each_digit_and_validation_rows_draw_it_as_written(monkeypatch) -> None:
    chars = [([np.array(s, np.float64) for s in DIGITS[c]], c) for c in "1707"]
    seen: list[str] = []
    monkeypatch.setattr(rows, "_restyled", lambda strokes, label, rng: seen.append(label) or strokes)
    rows._draw(("unipen", chars), np.random.default_rng(0))
    assert seen == [], "validation digits as written"
    rows._draw(("unipen restyled", chars), np.random.default_rng(0))
    assert seen == list("1707"), "each training digit restyled, with its label (for the continental 0, 1 and 7)"


def test_row_sets_go_through_row_input(data_dir: Path) -> None:
    sources = rows.build_rows(data_dir, limit=30)
    assert sources.train.x.shape[1:] == ROW_SHAPE and sources.train.y.shape[1:] == (ROW_SLOTS,)
    assert set(sources.validation) == {
        "mnist_rows_test",
        "mnist_rows_test_raw",
        "unipen_places_rows_val",
        "unipen_rows_val",
    }
    assert all((d.y != rows.NO_DIGIT).all() for d in sources.validation.values()), "validation rows have five"
    assert 0 <= sources.train.x.min() and sources.train.x.max() <= 1


def test_the_row_network_has_a_softmax_head_per_slot() -> None:
    net = build_row_cnn(ROW_SLOTS, 11)
    out = net(np.zeros((2, *ROW_SHAPE, 1), np.float32)).numpy()
    assert out.shape == (2, ROW_SLOTS, 11)
    np.testing.assert_allclose(out.sum(axis=-1), 1, rtol=1e-5)


def test_a_row_network_starts_from_the_single_character_networks_convolutions() -> None:
    cnn, sequence = build_cnn(11), build_sequence_cnn(ROW_SHAPE[1], 11)
    assert copy_weights(cnn, sequence) == ["conv1", "conv2a", "conv2b", "conv3"], "its dense layer fits nothing"
    tile = np.random.default_rng(0).random((1, *ROW_SHAPE, 1), np.float32)
    first = lambda net: net.get_layer("conv1")(tile).numpy()  # noqa: E731
    np.testing.assert_allclose(first(sequence), first(cnn), rtol=1e-6)
    wider = build_cnn(11, blocks=((32,), (96, 64), (128,)))
    assert copy_weights(wider, build_row_cnn(ROW_SLOTS, 11)) == ["conv1"], "stops at the first that does not fit"


def test_the_multihead_networks_windows_read_like_the_single_character_network() -> None:
    """Its classifier at the window over one tile of a row is the CNN on that tile.

    With no biases in the convolutions and ink only in the tile's middle, what the convolutions
    see of the blank rest of the row is what the CNN's padding is: zeros.
    """
    cnn, net = build_cnn(11), build_row_cnn(ROW_SLOTS, 11)
    for layer in cnn.layers[:9]:  # the convolution blocks
        if layer.weights:
            layer.set_weights([layer.get_weights()[0], np.zeros_like(layer.get_weights()[1])])
    assert copy_weights(cnn, net) == ["conv1", "conv2a", "conv2b", "conv3", "dense", "output"]
    tile = np.zeros((1, 28, 28, 1), np.float32)
    tile[:, 8:20, 8:20] = np.random.default_rng(0).random((12, 12, 1))
    windows = keras.Model(net.inputs, net.get_layer("windows").output)
    for k in range(ROW_SLOTS):
        row = np.zeros((1, *ROW_SHAPE, 1), np.float32)
        row[:, :, 28 * k : 28 * (k + 1)] = tile
        logits = net.get_layer("what")(windows(row)).numpy()[0, 7 * k]  # a window every 4 columns: tile k's is 7 k
        np.testing.assert_allclose(keras.ops.softmax(logits).numpy(), cnn(tile).numpy()[0], rtol=1e-4)


def test_the_sequence_network_reads_every_four_columns() -> None:
    net = build_sequence_cnn(ROW_SHAPE[1], 11)
    out = net(np.zeros((2, *ROW_SHAPE, 1), np.float32)).numpy()
    assert out.shape == (2, ROW_SHAPE[1] // 4, 11)
    np.testing.assert_allclose(out.sum(axis=-1), 1, rtol=1e-5)


def test_ctc_prefers_the_steps_that_spell_the_row_and_slots_hold_what_was_read() -> None:
    labels = rows.row_labels([4, 4, 2])[None]
    nothing, four, two = np.eye(11)[[10, 4, 2]] * 0.9 + 0.01
    spelled = np.stack([nothing, four, nothing, four, two, nothing])[None].astype(np.float32)
    merged = np.stack([nothing, four, four, four, two, nothing])[None].astype(np.float32)  # one 4, not two
    loss = ctc_loss(rows.NO_DIGIT)
    assert float(loss(labels, spelled)[0]) < float(loss(labels, merged)[0])
    assert row_slots(spelled, "sequence").tolist() == labels.tolist()
    assert row_slots(np.tile(spelled, (1, 2, 1)), "sequence").tolist() == [[-1] * ROW_SLOTS], "six read: all wrong"
    heads = np.eye(11)[labels[0]][None]
    assert row_slots(heads, "row").tolist() == labels.tolist()


@pytest.mark.slow
@pytest.mark.parametrize(("model", "architecture"), [("row", "multihead"), ("sequence", "sequence")])
def test_one_epoch_writes_a_row_model_with_its_card(data_dir: Path, tmp_path: Path, model, architecture) -> None:
    card = train_rows(data_dir, epochs=1, out=tmp_path, limit=40, on_progress=None, model=model)
    path = tmp_path / f"digits_{model}.keras"
    assert path.is_file() and ModelCard.read(path) == card and card.architecture_name == architecture
    assert set(card.validation) == {
        "mnist_rows_test",
        "mnist_rows_test_raw",
        "unipen_places_rows_val",
        "unipen_rows_val",
    }
    assert all(0 <= v["accuracy"] <= v["digit_accuracy"] <= 1 for v in card.validation.values())
