"""Read a row of characters, four ways, and compare them.

==========  ====================================================================
method      how
==========  ====================================================================
sequence    one network reads the whole row, scaled into 28 x 140, every 4 columns
            (the labels and "nothing"); a character is a run of columns that read
            it (CTC); digits only
multihead   one network reads the whole row, scaled into 28 x 140, with a softmax
            head per position (the labels and "no character"): each head looks
            at windows of the row, and the single-character network's classifier
            reads what it sees; digits only
segment     the ink's connected pieces, wide ones cut at their thinnest columns;
            every run of neighbouring pieces is tried as one character (a 5 whose
            bar is a separate stroke, an i and its dot, two touching digits cut
            apart), all of them in one batch through the single-character network,
            and the grouping it is surest of wins
window      the single-character network slid along the row in one batch; the
            positions where it is sure of a character (and, with its "none of
            these" output, sure it is not half of two) are the characters
==========  ====================================================================

Segmentation reads any length and alphabet; the two row networks need no
cutting, so touching and broken characters cost them nothing: the sequence
network reads as many characters as fit, the multi-head one at most
:data:`ROW_SLOTS`; the sliding window needs no cutting either, but the gaps
between characters fool it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

import cv2
import numpy as np

from .alphabets import Alphabet, get_alphabet
from .card import ModelCard
from .preprocess import BOX_SIZE, MODEL_SIZE, Step, find_ink, normalise

if TYPE_CHECKING:
    from .inference import Recognizer

__all__ = [
    "METHODS",
    "METHOD_TITLES",
    "ROW_SHAPE",
    "ROW_SLOTS",
    "Character",
    "Reading",
    "RowModel",
    "ctc_decode",
    "methods",
    "read",
    "row_input",
    "row_model",
]

METHODS = ("sequence", "multihead", "segment", "window")
"""Every way of reading a row, the most accurate first on rows of five digits by writers from other places
(``bench/bench_read.py``): an alphabet's default is the first it can use (:func:`methods`)."""
METHOD_TITLES = {
    "segment": "Segmentation",
    "sequence": "Sequence network",
    "multihead": "Multi-head network",
    "window": "Sliding window",
}
METHOD_MODELS = {"sequence": "sequence", "multihead": "row"}
"""The row model (:attr:`Alphabet.row_models <recognizer.alphabets.Alphabet.row_models>`) a method needs."""
ROW_SLOTS = 5
"""Characters the multi-head network reads at most: one head each."""
ROW_SHAPE = (MODEL_SIZE, ROW_SLOTS * MODEL_SIZE)
"""The multi-head network's input, (28, 140): five MNIST tiles side by side."""
CUT_WIDTH = 0.8
"""A piece wider than this many times the row's height may be touching characters: it gets candidate cuts."""
CUT_SPACING = 0.15
"""Candidate cuts are at least this many row heights apart."""
MAX_PIECES = 6
"""A character is at most this many neighbouring pieces (a 4 in three strokes and a cut)."""
MAX_WIDTH = 1.2
"""Groups of pieces wider than this many row heights are not tried as one character."""
CHAR_WIDTH = 0.9
"""Characters wider than this many row heights lose :data:`WIDTH_PENALTY` log-probability per row height more."""
WIDTH_PENALTY = 3.0
CHAR_COST = 0.7
"""Log-probability each character costs: splitting one in two must make the network twice as sure."""
SKIP_COST = 3.0
"""Log-probability a piece left out of every character costs (a speck, a stray mark)."""
ROW_VIEWS = ((1.0, 0), (1.0, 2), (0.9, 0), (0.9, 2), (1.1, 0), (1.1, 2))
"""How the row networks see a row, all in one batch, as (character height as a share of 20 pixels, shift right in
pixels): at three heights, each at two offsets half a sequence step apart. The multi-head network averages its
heads over the views. The sequence network's views are read apart (their steps fall on different columns): each
reading scores its characters' mean log-probability, and the reading whose views score the most wins. Against one
view, on 300 rows of five from other places (``bench/bench_read.py``): the sequence network 82.0% (80.0%), the
multi-head network 73.3% (69.7%)."""
WINDOW_WIDTH = 0.7
"""The sliding window's width in row heights: about one character."""
WINDOW_STRIDE = 0.08
"""Step of the sliding window, in row heights."""
WINDOW_APART = 0.45
"""Two characters read by the window are at least this many row heights apart."""
WINDOW_CENTRED = 0.2
"""Only windows whose ink is centred, its centre of mass this share of half the window from the middle, are read:
a window between two characters holds their edges."""
WINDOW_SURE = 0.6
"""A window position counts as a character when its best label is at least this likely."""


@dataclass(frozen=True)
class Character:
    """One character found in a row.

    Attributes
    ----------
    label : str
        What the network read.
    p : float
        Its probability.
    box : tuple of int
        (x0, y0, x1, y1) in the image's pixels, x1 and y1 exclusive. The multi-head
        network reads positions, not places: its boxes share the row's ink evenly.
    model_input : np.ndarray or None
        (28, 28) float32 in [0, 1]: the character as the single-character network
        got it; None for the multi-head network, which sees the row.
    """

    label: str
    p: float
    box: tuple[int, int, int, int]
    model_input: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Reading:
    """What was read in a row.

    Attributes
    ----------
    text : str
        The labels left to right.
    method : str
        One of :data:`METHODS`.
    characters : list of Character
        Left to right.
    blank_reason : str or None
        Why nothing was read (an empty image, only noise), else None.
    row : np.ndarray or None
        A row network's input, :data:`ROW_SHAPE` float32 in [0, 1]: the view the sequence
        network's reading comes from, the multi-head network's first (:data:`ROW_VIEWS`).
    positions : np.ndarray or None
        The multi-head network's (ROW_SLOTS, labels + 1) probabilities averaged over the
        views, the last column "no character".
    """

    text: str
    method: str
    characters: list[Character]
    blank_reason: str | None = None
    row: np.ndarray | None = field(default=None, repr=False)
    positions: np.ndarray | None = field(default=None, repr=False)

    @property
    def p(self) -> float:
        """How sure the reading is: the product of its characters' probabilities (0 when nothing was read)."""
        return float(np.prod([c.p for c in self.characters])) if self.characters else 0.0

    def to_json(self) -> dict:
        """The JSON line of ``python -m recognizer read`` (without the file name)."""
        return {
            "text": self.text,
            "method": self.method,
            "characters": [{"label": c.label, "p": round(c.p, 6), "box": list(c.box)} for c in self.characters],
        }


def methods(alphabet: Alphabet) -> tuple[str, ...]:
    """The methods that can read ``alphabet``, its default first: those with a row model only where it is shipped.

    >>> methods(get_alphabet("digits")), methods(get_alphabet("letters"))
    (('sequence', 'multihead', 'segment', 'window'), ('segment', 'window'))
    """
    return tuple(m for m in METHODS if m not in METHOD_MODELS or METHOD_MODELS[m] in alphabet.row_models)


class RowModel:
    """A loaded network that reads a whole row at once. Create it with :func:`row_model`.

    Attributes
    ----------
    alphabet : Alphabet
    model : keras.Model
        (batch, 28, 140, 1) -> (batch, positions, labels + 1) probabilities: the multi-head
        network's :data:`ROW_SLOTS` heads, or the sequence network's 35 steps of 4 columns.
    card : ModelCard
    windows : int
        The windows of the row the multi-head network's heads look at (0 for the sequence network).
    """

    def __init__(self, alphabet: Alphabet, model, card: ModelCard) -> None:
        from .backend import keras, run_split, tf

        self.alphabet, self.model, self.card = alphabet, model, card
        looks = _looks(model)
        net = model if looks is None else keras.Model(model.inputs, [model.outputs[0], looks])
        self.windows = 0 if looks is None else looks.shape[-1]
        spec = tf.TensorSpec((None, *ROW_SHAPE, 1), tf.float32)
        run = tf.function(lambda x: tf.concat(tf.nest.flatten(net(x, training=False)), -1), input_signature=[spec])
        self._run = lambda rows: run_split(run, rows, least=len(ROW_VIEWS) // 2)

    def heads(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(N, 28, 140) float32 row inputs -> (N, positions, labels + 1) probabilities and where each head
        looks, (N, positions, windows) weights summing to 1 (None for a network without windows)."""
        out = self._run(np.asarray(rows, np.float32).reshape(-1, *ROW_SHAPE, 1))
        classes = self.alphabet.num_classes + 1
        return out[..., :classes], (out[..., classes:] if self.windows else None)

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """(N, 28, 140) float32 row inputs -> (N, positions, labels + 1) probabilities."""
        return self.heads(rows)[0]


def _looks(model) -> object | None:
    """Where a multi-head network's heads look, (batch, heads, windows): the weights its ``Dot`` layer mixes
    the windows by, or None for a network without one."""
    from .backend import keras

    dots = [layer for layer in model.layers if isinstance(layer, keras.layers.Dot)]
    return dots[0].input[0] if len(dots) == 1 else None


@cache
def row_model(alphabet: str, name: str = "row") -> RowModel:
    """A shipped row model of an alphabet (``"row"`` or ``"sequence"``), loaded once per process.

    Raises
    ------
    ValueError
        The alphabet has no such row model.
    ModelFileError
        Its file is missing or does not fit.
    """
    from .modelfile import load_row_model  # starts TensorFlow: only when a row model is wanted

    spec = get_alphabet(alphabet)
    if name not in spec.row_models:
        raise ValueError(f"alphabet {alphabet!r} has no {name} model; read it with {', '.join(methods(spec))}")
    model, card = load_row_model(spec.model_path(name), spec, (*ROW_SHAPE, 1))
    return RowModel(spec, model, card)


def ctc_decode(steps: np.ndarray) -> list[tuple[int, int, int, float]]:
    """The characters in a sequence network's steps: runs of one label, "nothing" (the last class) between them.

    Parameters
    ----------
    steps : np.ndarray
        (T, labels + 1) probabilities, one row per step, "nothing" last.

    Returns
    -------
    list of (label, first step, last step, probability)
        Left to right; the probability is the run's surest step's.

    >>> nothing, one, two = [0, 0, 1.0], [0.9, 0, 0.1], [0, 0.8, 0.2]
    >>> ctc_decode(np.array([nothing, one, one, nothing, one, two, two, nothing]))
    [(0, 1, 2, 0.9), (0, 4, 4, 0.9), (1, 5, 6, 0.8)]
    """
    best = steps.argmax(axis=1)
    found: list[tuple[int, int, int, float]] = []
    for t, label in enumerate(best.tolist()):
        if label == steps.shape[1] - 1:
            continue
        if found and found[-1][0] == label and found[-1][2] == t - 1:
            found[-1] = (label, found[-1][1], t, max(found[-1][3], float(steps[t, label])))
        else:
            found.append((label, t, t, float(steps[t, label])))
    return found


def _row_ink(image: np.ndarray, background: float | None) -> tuple[np.ndarray | None, float, str | None]:
    """The ink strength of the whole image (uint8, light on dark), its scale to the image, or why there is none."""
    ink = find_ink(image, background=background)
    if ink.blank_reason is not None:
        return None, 1.0, ink.blank_reason
    strength = np.where(ink.steps[Step.MASK] > 0, ink.steps[Step.INK], 0).astype(np.uint8)
    return strength, image.shape[1] / strength.shape[1], None


def _ink_box(strength: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(strength)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def _fit_row(strength: np.ndarray, size: float = 1.0, shift: int = 0) -> tuple[np.ndarray, Callable[[float], float]]:
    """The row's ink scaled to a character height of 20 (or to the width), centred in :data:`ROW_SHAPE`.

    ``size`` scales the character height, ``shift`` moves the row right by that many pixels (as far as it fits).
    Also returns where a column of that row is in ``strength``: ``x(column)``.
    """
    x0, y0, x1, y1 = _ink_box(strength)
    crop = strength[y0:y1, x0:x1].astype(np.float32) / max(float(strength.max()), 1.0)
    height, width = ROW_SHAPE
    scale = min(size * BOX_SIZE / crop.shape[0], (width - 4) / crop.shape[1])
    w, h = max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))
    small = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)
    row = np.zeros(ROW_SHAPE, np.float32)
    top, left = (height - h) // 2, int(np.clip((width - w) // 2 + shift, 0, width - w))
    row[top : top + h, left : left + w] = small
    return np.clip(row, 0, 1), lambda column: x0 + (column - left) / scale


def row_input(image: np.ndarray, background: float | None = None) -> np.ndarray | None:
    """The multi-head network's input for a row: the ink, light on dark, scaled into (28, 140).

    Parameters
    ----------
    image : np.ndarray
        uint8 HxW, HxWx3 or HxWx4, any polarity.
    background : float, optional
        The background's grey level when known.

    Returns
    -------
    np.ndarray or None
        (28, 140) float32 in [0, 1], characters 20 pixels high (narrower if the
        row is too long), centred; None when there is no ink.

    >>> row = np.zeros((60, 200), np.uint8); row[20:40, 30:170:20] = 255
    >>> row_input(row).shape
    (28, 140)
    """
    strength, _, reason = _row_ink(image, background)
    return None if reason is not None else _fit_row(strength)[0]


def _pieces(strength: np.ndarray) -> tuple[np.ndarray, list[tuple[int, int, int]]]:
    """Over-segment the row: its connected pieces, wide ones cut at the thin columns where characters may meet.

    Returns the component labels and the pieces, ``(component, x0, x1)`` in reading
    order; a piece is its component's pixels in columns x0..x1.
    """
    count, labels, stats, _ = cv2.connectedComponentsWithStats((strength > 0).astype(np.uint8), connectivity=8)
    _, y0, _, y1 = _ink_box(strength)
    height = max(1, y1 - y0)
    pieces = []
    for k in range(1, count):
        x, _, w, _, _ = stats[k]
        cuts = [x, x + w]
        if w > CUT_WIDTH * height:  # touching characters, perhaps: candidate cuts at the profile's valleys
            profile = np.where(labels[:, x : x + w] == k, strength[:, x : x + w], 0).astype(np.float32).sum(axis=0)
            profile = cv2.GaussianBlur(profile[None, :], (0, 0), max(1.0, 0.02 * height))[0]
            gap = max(2, round(CUT_SPACING * height))
            cuts = [x]
            for i in np.argsort(profile[gap : w - gap]) + gap:  # thinnest first, never two close together
                if all(abs(x + i - c) >= gap for c in cuts):
                    cuts.append(x + int(i))
            cuts = sorted([*cuts, x + w])
        pieces += [(k, a, b) for a, b in pairwise(cuts)]
    pieces.sort(key=lambda p: (p[1] + p[2]) / 2)
    return labels, pieces


def _group_ink(strength: np.ndarray, labels: np.ndarray, group: list[tuple[int, int, int]]) -> tuple:
    """The ink of some pieces, cropped to them: (float32 HxW in [0, 1], box (x0, y0, x1, y1))."""
    x0, x1 = min(p[1] for p in group), max(p[2] for p in group)
    keep = np.zeros((strength.shape[0], x1 - x0), bool)
    for k, a, b in group:
        keep[:, a - x0 : b - x0] |= labels[:, a:b] == k
    rows = np.flatnonzero(keep.any(axis=1))
    y0, y1 = int(rows[0]), int(rows[-1]) + 1
    ink = np.where(keep[y0:y1], strength[y0:y1, x0:x1], 0).astype(np.float32) / max(float(strength.max()), 1.0)
    cols = np.flatnonzero(ink.any(axis=0))
    return ink[:, cols[0] : cols[-1] + 1], (x0 + int(cols[0]), y0, x0 + int(cols[-1]) + 1, y1)


def _segments(rec: Recognizer, strength: np.ndarray) -> list[tuple[tuple[int, int, int, int], np.ndarray, int, float]]:
    """Choose how to group the pieces into characters: the grouping whose characters the network is surest of.

    Every run of up to :data:`MAX_PIECES` neighbouring pieces is a candidate character;
    all candidates go through the network in one batch. A candidate scores the log of its
    best label's probability (low when the network says "none of these"), less a
    penalty for being wider than a character; dynamic programming finds the best
    sequence. Returns (box, model input, label index, probability) per character.
    """
    labels, pieces = _pieces(strength)
    _, y0, _, y1 = _ink_box(strength)
    height = max(1, y1 - y0)
    candidates = []
    for i in range(len(pieces)):
        for j in range(i + 1, min(i + MAX_PIECES, len(pieces)) + 1):
            ink, box = _group_ink(strength, labels, pieces[i:j])
            if box[2] - box[0] > MAX_WIDTH * height and j > i + 1:
                break
            if max(ink.shape) >= 3:
                candidates.append((i, j, box, normalise(ink, rec.convention.skip)[Step.MODEL_INPUT]))
    if not candidates:
        return []
    scores = rec.score_inputs(rec.convention.apply(np.stack([c[3] for c in candidates])))
    best = scores.probabilities.max(axis=1)
    widths = np.array([(c[2][2] - c[2][0]) / height for c in candidates])
    value = np.log(np.maximum(best, 1e-6)) - WIDTH_PENALTY * np.maximum(0, widths - CHAR_WIDTH) - CHAR_COST
    ending: dict[int, list[int]] = {}
    for n, (_, j, _, _) in enumerate(candidates):
        ending.setdefault(j, []).append(n)
    total, back = np.zeros(len(pieces) + 1), [-1] * (len(pieces) + 1)
    for j in range(1, len(pieces) + 1):
        total[j] = total[j - 1] - SKIP_COST  # a piece left out: a speck, a stray mark
        for n in ending.get(j, []):
            if total[candidates[n][0]] + value[n] > total[j]:
                total[j], back[j] = total[candidates[n][0]] + value[n], n
    found, j = [], len(pieces)
    while j > 0:
        n = back[j]
        if n < 0:
            j -= 1
            continue
        i, _, box, x = candidates[n]
        found.append((box, x, int(scores.probabilities[n].argmax()), float(best[n])))
        j = i
    return found[::-1]


def _scale_box(box: tuple[int, ...], scale: float, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (round(v * scale) for v in box)
    return (max(0, x0), max(0, y0), min(shape[1], x1), min(shape[0], y1))


def _read_segments(rec: Recognizer, strength: np.ndarray, scale: float, shape: tuple[int, ...]) -> list[Character]:
    return [
        Character(rec.alphabet.labels[label], p, _scale_box(box, scale, shape), x)
        for box, x, label, p in _segments(rec, strength)
    ]


def _read_window(rec: Recognizer, strength: np.ndarray, scale: float, shape: tuple[int, ...]) -> list[Character]:
    x0, y0, x1, y1 = _ink_box(strength)
    height = y1 - y0
    half = max(1, round(WINDOW_WIDTH * height / 2))
    centres = np.arange(x0, x1 + 1, max(1, round(WINDOW_STRIDE * height)))
    windows = []
    for c in centres:
        ink = strength[y0:y1, max(0, c - half) : c + half].astype(np.float32) / max(float(strength.max()), 1.0)
        cols, rows = np.flatnonzero(ink.any(axis=0)), np.flatnonzero(ink.any(axis=1))
        mass = ink.sum(axis=0)
        centred = mass.sum() > 0 and abs(mass @ np.arange(len(mass)) / mass.sum() - (c - max(0, c - half))) < (
            WINDOW_CENTRED * half
        )
        if centred and max(cols[-1] - cols[0], rows[-1] - rows[0]) >= 2:
            crop = ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
            windows.append((int(c), normalise(crop, rec.convention.skip)[Step.MODEL_INPUT]))
    if not windows:
        return []
    scores = rec.score_inputs(rec.convention.apply(np.stack([x for _, x in windows])))
    best = scores.probabilities.max(axis=1)
    taken: list[int] = []
    for i in np.argsort(-best):  # the surest windows first, none closer than a narrow character's width
        sure = best[i] >= WINDOW_SURE and not scores.rejected[i]
        if sure and all(abs(windows[i][0] - windows[j][0]) >= WINDOW_APART * height for j in taken):
            taken.append(int(i))
    return [
        Character(
            rec.alphabet.labels[int(scores.probabilities[i].argmax())],
            float(best[i]),
            _scale_box((windows[i][0] - half, y0, windows[i][0] + half, y1), scale, shape),
            windows[i][1],
        )
        for i in sorted(taken, key=lambda i: windows[i][0])
    ]


def _views(strength: np.ndarray) -> list[tuple[np.ndarray, Callable[[float], float]]]:
    """Every view of :data:`ROW_VIEWS`: its row input and where its columns are in ``strength``."""
    return [_fit_row(strength, size, shift) for size, shift in ROW_VIEWS]


def _read_multihead(rec: Recognizer, strength: np.ndarray, scale: float, shape: tuple[int, ...]) -> Reading:
    """The heads' probabilities averaged over the views of :data:`ROW_VIEWS`; each character's box round where
    its head looks."""
    model = row_model(rec.alphabet.key, METHOD_MODELS["multihead"])
    fits = _views(strength)
    positions, looks = model.heads(np.stack([row for row, _ in fits]))
    # where each head looks, in each view's columns: its windows tile the row, each 24 pixels wide (the part of
    # the single-character network's 28 its last pooled cells cover)
    centres = np.linspace(12, ROW_SHAPE[1] - 12, model.windows)
    middles = np.mean([[x_of(x) for x in look @ centres] for look, (_, x_of) in zip(looks, fits, strict=True)], 0)
    positions = positions.mean(axis=0)
    found = [
        (int(p.argmax()), float(p.max()), x)
        for p, x in zip(positions, middles, strict=True)
        if p.argmax() < rec.alphabet.num_classes
    ]
    boxes = _boxes([x for _, _, x in found], strength, _ink_pieces(strength))
    characters = [
        Character(rec.alphabet.labels[label], p, _scale_box(box, scale, shape))
        for (label, p, _), box in zip(found, boxes, strict=True)
        if box is not None
    ]
    return Reading("".join(c.label for c in characters), "multihead", characters, row=fits[0][0], positions=positions)


def _ink_pieces(strength: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ink's connected pieces: their labels, (H, W) int, and each one's middle column (piece 0: the background)."""
    _, pieces, _, centres = cv2.connectedComponentsWithStats((strength > 0).astype(np.uint8), connectivity=8)
    return pieces, centres[:, 0]


def _boxes(
    middles: list[float], strength: np.ndarray, pieces: tuple[np.ndarray, np.ndarray]
) -> list[tuple[int, int, int, int] | None]:
    """Each character's box in ``strength`` from its middle column (None where it has no ink); ``pieces`` are
    :func:`_ink_pieces` of ``strength``.

    A character owns the pieces of ink whose middle is nearer its middle than its neighbours', whole (the tail of
    a 3 reaching past halfway) but not past a neighbour's middle; one with none, half of two touching digits, has
    the ink halfway to its neighbours'.
    """
    if not middles:
        return []
    labels, centres = pieces
    width = strength.shape[1]
    halfway = [0, *((a + b) / 2 for a, b in pairwise(middles)), width]
    beside = [0, *middles, width]
    boxes = []
    for k in range(len(middles)):
        a, b = max(0, round(halfway[k])), round(halfway[k + 1])
        own = np.flatnonzero((centres >= a) & (centres < b))
        own = own[own > 0]  # piece 0 is the background
        lo, hi = max(0, round(beside[k])), round(beside[k + 2])
        part = np.isin(labels[:, lo:hi], own)
        if not part.any():
            lo, part = a, strength[:, a:b] > 0
        ys, xs = np.flatnonzero(part.any(axis=1)), lo + np.flatnonzero(part.any(axis=0))
        boxes.append((int(xs[0]), int(ys[0]), int(xs[-1]) + 1, int(ys[-1]) + 1) if len(ys) else None)
    return boxes


def _sequence_characters(
    steps: np.ndarray, strength: np.ndarray, x_of: Callable[[float], float], pieces: tuple[np.ndarray, np.ndarray]
) -> list[tuple[int, float, tuple[int, int, int, int]]]:
    """(label, probability, box in ``strength``) of the characters in one view's steps, but those over no ink;
    ``pieces`` are :func:`_ink_pieces` of ``strength``."""
    found = ctc_decode(steps)
    stride = ROW_SHAPE[1] / len(steps)
    # a character's steps are a narrow spike: its box reaches halfway to its neighbours', then shrinks to the ink
    middles = [x_of((first + last + 1) / 2 * stride) for _, first, last, _ in found]
    return [
        (label, p, box)
        for (label, _, _, p), box in zip(found, _boxes(middles, strength, pieces), strict=True)
        if box is not None
    ]


def _read_sequence(rec: Recognizer, strength: np.ndarray, scale: float, shape: tuple[int, ...]) -> Reading:
    """Read every view of :data:`ROW_VIEWS`; the reading its views are surest of wins."""
    model = row_model(rec.alphabet.key, METHOD_MODELS["sequence"])
    fits = _views(strength)
    views, pieces = [], _ink_pieces(strength)  # views: (text, mean log-probability, characters, row)
    for (row, x_of), steps in zip(fits, model.positions(np.stack([row for row, _ in fits])), strict=True):
        found = _sequence_characters(steps, strength, x_of, pieces)
        text = "".join(rec.alphabet.labels[label] for label, _, _ in found)
        views.append((text, float(np.mean(np.log([p for _, p, _ in found]))) if found else -np.inf, found, row))
    votes: dict[str, float] = {}
    for text, sure, _, _ in views:
        votes[text] = votes.get(text, 0.0) + np.exp(sure)
    winner = max(votes, key=votes.__getitem__)
    text, _, found, row = max((view for view in views if view[0] == winner), key=lambda view: view[1])
    characters = [Character(rec.alphabet.labels[label], p, _scale_box(box, scale, shape)) for label, p, box in found]
    return Reading(text, "sequence", characters, row=row)


def read(rec: Recognizer, image: np.ndarray, method: str | None = None, background: float | None = None) -> Reading:
    """Read a row of characters.

    Parameters
    ----------
    rec : Recognizer
        The single-character model of the row's alphabet.
    image : np.ndarray
        uint8 HxW, HxWx3 or HxWx4: a row of characters written left to right, any polarity.
    method : str, optional
        One of :func:`methods` of the alphabet; default its first, the most accurate.
    background : float, optional
        The background's grey level when known (the app's canvas: 0).

    Returns
    -------
    Reading
        The text and every character's label, probability, box and model input.

    Raises
    ------
    ValueError
        A method the alphabet cannot use, or an image that is not a uint8 HxW, HxWx3 or HxWx4 array of at least 8x8.
    """
    method = method or methods(rec.alphabet)[0]
    if method not in methods(rec.alphabet):
        expected = ", ".join(methods(rec.alphabet))
        raise ValueError(f"unknown method {method!r} for {rec.alphabet.key}; expected one of {expected}")
    strength, scale, reason = _row_ink(image, background)
    if strength is None:
        return Reading("", method, [], reason)
    if method == "multihead":
        return _read_multihead(rec, strength, scale, image.shape)
    if method == "sequence":
        return _read_sequence(rec, strength, scale, image.shape)
    reader = _read_segments if method == "segment" else _read_window
    characters = reader(rec, strength, scale, image.shape)
    return Reading("".join(c.label for c in characters), method, characters)
