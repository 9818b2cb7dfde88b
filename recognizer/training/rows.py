"""Rows of digits: for training the multi-head network, and for measuring every way of reading a row.

A row is written the way one person writes a number: one pen, the digits about
the same height, a shared slant, gaps that vary and may close (neighbours
touch), a wandering baseline. Rows come from UNIPEN pen strokes
(:func:`render_row`) and from MNIST tiles (:func:`mnist_row`), either pasted
exactly as the seeds' question does or with varied spacing and offsets.

=======================  ==================================================================
set                      what
=======================  ==================================================================
train                    MNIST training digits and UNIPEN training writers, 1 to 5 digits
mnist_rows_test          MNIST test digits, five tiles side by side, exactly (2,000 rows)
mnist_rows_test_raw      the same rows given to the network as they are, not through ``row_input``
unipen_places_rows_val   five digits by one writer from a held-out institution
unipen_rows_val          five digits by one unseen writer of the training institutions
=======================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..alphabets import get_alphabet
from ..reading import ROW_SHAPE, ROW_SLOTS, row_input
from . import datasets
from .data import Dataset, Unipen, label_indices, load_mnist, load_unipen, prepare
from .render import continental, layout_row, paint, restyle

__all__ = [
    "LENGTHS",
    "RowSources",
    "build_rows",
    "five_digit_rows",
    "mnist_row",
    "render_cut_row",
    "render_row",
    "row_labels",
]

Strokes = list[np.ndarray]
LENGTHS = (1, 2, 3, 4, 5)
LENGTH_WEIGHTS = (0.1, 0.1, 0.15, 0.15, 0.5)
"""How often training rows have each length: mostly five digits, but shorter numbers too."""
TRAIN_ROWS = {"mnist": 24000, "mnist raw": 6000, "unipen": 48000}
"""Training rows of each source: twice as many handwritten ones, the rows the row networks are for; and MNIST
tiles pasted exactly and given as they are, the seeds' 28 x 140 (``mnist raw``), for those who call the network
on it without :func:`recognizer.reading.row_input`."""
MNIST_EXACT = 0.4
"""Share of MNIST training rows pasted exactly as the seeds' question does; the rest vary gaps, sizes and offsets."""
VALIDATION_ROWS = 1000
NO_DIGIT = 10
"""The label of a head with no digit to read: one past the digits."""


def render_row(chars: Sequence[Strokes], rng: np.random.Generator) -> np.ndarray:
    """Draw a row of characters with one pen on a canvas or on paper: uint8 (H, W), either polarity."""
    return _render(chars, rng, cut=False)[0]


def render_cut_row(chars: Sequence[Strokes], rng: np.random.Generator) -> tuple[np.ndarray, list[np.ndarray]]:
    """:func:`render_row`'s row (the same for the same ``rng``) and the row cut perfectly: each character drawn
    alone, where it is in the row, with the same pen on the same paper (uint8 images of the row's size)."""
    return _render(chars, rng, cut=True)


def _render(chars: Sequence[Strokes], rng: np.random.Generator, cut: bool) -> tuple[np.ndarray, list[np.ndarray]]:
    strokes = layout_row(chars, rng)
    height = rng.uniform(40, 110)
    width = max(1, round(rng.uniform(0.05, 0.15) * height))
    pts = np.concatenate(strokes)
    lo = pts.min(axis=0)
    span = (pts.max(axis=0) - lo) * height
    margin = rng.uniform(0.2, 0.8, 2) * height + width
    size = (int(span[1] + 2 * margin[1]) + 1, int(span[0] + 2 * margin[0]) + 1)
    shift = 4

    def draw(some: list[np.ndarray]) -> np.ndarray:
        ink = np.zeros(size, np.uint8)
        for s in some:
            p = np.round(((s - lo) * height + margin) * (1 << shift)).astype(np.int32)
            cv2.polylines(ink, [p], False, 255, width, cv2.LINE_AA, shift)
        return ink

    alone = []
    if cut:  # layout_row keeps each character's strokes together, in order
        ends = np.cumsum([len(c) for c in chars])
        paper = rng.bit_generator.state
        for start, end in zip([0, *ends[:-1]], ends, strict=True):
            rng.bit_generator.state = paper  # the same paper for each character, and then for the row
            alone.append(paint(draw(strokes[start:end]), rng))
        rng.bit_generator.state = paper
    return paint(draw(strokes), rng), alone


def mnist_row(tiles: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
    """MNIST tiles side by side: exactly (``rng`` None, the seeds' 28 x 140), or with varied gaps, sizes and offsets.

    Parameters
    ----------
    tiles : np.ndarray
        (n, 28, 28) uint8, white on black.
    rng : np.random.Generator, optional
        Source of the variation; None pastes the tiles exactly.

    Returns
    -------
    np.ndarray
        uint8 (28, 28 n) exactly, else (about 40, about 28 n), white on black.
    """
    if rng is None:
        return np.hstack(list(tiles))
    row = np.zeros((44, 28 * len(tiles) + 40), np.uint8)
    x = 6
    for tile in tiles:
        scale = rng.uniform(0.8, 1.15)
        side = round(28 * scale)
        small = cv2.resize(tile, (side, side), interpolation=cv2.INTER_AREA)
        y = int(np.clip(8 + rng.normal(0, 2) - (side - 28) / 2, 0, row.shape[0] - side))
        x = int(np.clip(x, 0, row.shape[1] - side))
        row[y : y + side, x : x + side] = np.maximum(row[y : y + side, x : x + side], small)
        x += side + int(rng.integers(-8, 5))
    return row


def row_labels(digits: Sequence[int]) -> np.ndarray:
    """(ROW_SLOTS,) int32: the digits left-justified, :data:`NO_DIGIT` after them."""
    labels = np.full(ROW_SLOTS, NO_DIGIT, np.int32)
    labels[: len(digits)] = digits
    return labels


def _restyled(strokes: Strokes, label: str, rng: np.random.Generator) -> Strokes:
    """A training digit as another writer might write it: some 0s, 1s and 7s the continental way
    (:data:`datasets.CONTINENTAL`), each turned, sheared and narrowed or widened a little (:func:`render.restyle`)."""
    if rng.random() < datasets.CONTINENTAL:
        strokes = continental(strokes, label, rng)
    return restyle(strokes, rng)


def _draw(item: tuple[str, object], rng: np.random.Generator) -> tuple[np.ndarray, float | None]:
    kind, payload = item
    if kind == "mnist raw":  # already the network's input: float32 in [0, 1], fewer than five tiles on the left
        tiles = mnist_row(payload)
        row = np.zeros(ROW_SHAPE, np.float32)
        row[:, : tiles.shape[1]] = tiles / 255
        return row, None
    if kind == "mnist exact":
        return mnist_row(payload), 0.0
    if kind == "mnist":
        return mnist_row(payload, rng), 0.0
    vary = kind == "unipen restyled"
    chars = [_restyled(strokes, label, rng) if vary else strokes for strokes, label in payload]
    return render_row(chars, rng), None


def _to_input(image: np.ndarray, background: float | None) -> np.ndarray | None:
    """:func:`row_input` of a drawn row; a row that is already an input (float32, ``mnist raw``) as it is."""
    return image if image.dtype == np.float32 else row_input(image, background)


def _prepare_rows(items: list, labels: list[np.ndarray], seed: int) -> Dataset:
    return prepare(items, np.stack(labels) if labels else np.zeros((0, ROW_SLOTS)), seed, _draw, to_input=_to_input)


def _random_rows(indices: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` rows of 1 to 5 sample indices, lengths drawn by :data:`LENGTH_WEIGHTS`."""
    lengths = rng.choice(LENGTHS, count, p=LENGTH_WEIGHTS)
    return [rng.choice(indices, n) for n in lengths]


def five_digit_rows(unipen: Unipen, mask: np.ndarray, count: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``count`` rows of five UNIPEN digit samples, each row by one writer of ``mask`` (writers with 5 or more)."""
    _, known = label_indices(get_alphabet("digits"), unipen.labels)
    pool = np.flatnonzero(known & mask)
    by_writer = {w: pool[unipen.writers[pool] == w] for w in np.unique(unipen.writers[pool])}
    writers = [w for w, idx in by_writer.items() if len(idx) >= 5]
    if not writers:
        return []
    return [rng.choice(by_writer[writers[int(rng.integers(len(writers)))]], 5, replace=False) for _ in range(count)]


@dataclass
class RowSources:
    """Training rows (None when not built), named validation sets and a description for the model card."""

    train: Dataset | None
    validation: dict[str, Dataset]
    description: dict


def build_rows(data_dir: str | Path, seed: int = 0, limit: int | None = None, train: bool = True) -> RowSources:
    """Build the multi-head network's rows (see the module's table), each through :func:`recognizer.reading.row_input`.

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``mnist.npz`` and ``unipen_dev.npz``.
    seed : int
        Seed of the choice of digits and of their rendering.
    limit : int, optional
        Cap on rows per set, for quick runs.
    train : bool
        Whether to build the training rows (False: validation only).
    """
    data_dir = Path(data_dir)
    rng = np.random.default_rng(seed)
    (x_train, y_train), (x_test, y_test) = load_mnist(datasets.mnist_source(data_dir))
    unipen = load_unipen(data_dir / datasets.UNIPEN_FILE)
    digit, known = label_indices(get_alphabet("digits"), unipen.labels)
    parts = datasets.unipen_parts(unipen)

    def cap(n: int) -> int:
        return min(n, limit) if limit else n

    def unipen_items(rows: list[np.ndarray], kind: str = "unipen") -> tuple[list, list]:
        chars = [[(unipen.strokes(int(i)), str(unipen.labels[i])) for i in r] for r in rows]
        return [(kind, c) for c in chars], [row_labels(digit[r]) for r in rows]

    train_set = None
    if train:
        mnist_rows = _random_rows(np.arange(len(x_train)), cap(TRAIN_ROWS["mnist"]), rng)
        exact = rng.random(len(mnist_rows)) < MNIST_EXACT
        items = [("mnist exact" if e else "mnist", x_train[r]) for r, e in zip(mnist_rows, exact, strict=True)]
        raw_rows = _random_rows(np.arange(len(x_train)), cap(TRAIN_ROWS["mnist raw"]), rng)
        items += [("mnist raw", x_train[r]) for r in raw_rows]
        mnist_rows += raw_rows
        labels = [row_labels(y_train[r]) for r in mnist_rows]
        u_items, u_labels = unipen_items(
            _random_rows(np.flatnonzero(known & parts["train"]), cap(TRAIN_ROWS["unipen"]), rng), "unipen restyled"
        )
        train_set = _prepare_rows(items + u_items, labels + u_labels, seed)
    vseed = seed + datasets.VALIDATION_SEED_OFFSET
    vrng = np.random.default_rng(vseed)  # the same validation rows whether training rows are built or not
    n_test = cap(len(x_test) // ROW_SLOTS)
    tests = [np.arange(i * ROW_SLOTS, (i + 1) * ROW_SLOTS) for i in range(n_test)]
    validation = {
        **{
            name: _prepare_rows([(kind, x_test[r]) for r in tests], [row_labels(y_test[r]) for r in tests], vseed)
            for name, kind in (("mnist_rows_test", "mnist exact"), ("mnist_rows_test_raw", "mnist raw"))
        },
        **{
            name: _prepare_rows(
                *unipen_items(five_digit_rows(unipen, parts[part], cap(VALIDATION_ROWS), vrng)), vseed + k
            )
            for k, (name, part) in enumerate(
                (("unipen_places_rows_val", "other places"), ("unipen_rows_val", "validation")), start=1
            )
        },
    }
    description = {
        "generator": "recognizer.training.rows",
        "train_rows": {k: cap(v) for k, v in TRAIN_ROWS.items()} if train else 0,
        "lengths": {str(n): w for n, w in zip(LENGTHS, LENGTH_WEIGHTS, strict=True)},
        "mnist": f"training digits; {MNIST_EXACT:.0%} of rows pasted exactly, the rest with varied gaps, sizes and "
        "offsets",
        "mnist raw": "training digits pasted exactly and given to the network as they are, not through row_input",
        "unipen": "training writers; one pen per row, shared slant, gaps from touching to wide; each digit turned, "
        f"sheared and narrowed or widened a little, {datasets.CONTINENTAL:.0%} of 0s, 1s and 7s written the "
        "continental way (recognizer.training.render.restyle, continental)",
        "validation": {
            "mnist_rows_test": "MNIST test digits 5 by 5 in order, pasted exactly (the seeds' 28 x 140)",
            "mnist_rows_test_raw": "the same rows given to the network as they are, not through row_input",
            "unipen_places_rows_val": f"5 digits by one writer of {', '.join(datasets.OTHER_PLACES)} (not in training)",
            "unipen_rows_val": "5 digits by one unseen writer of the training institutions",
        },
    }
    return RowSources(train_set, validation, description)
