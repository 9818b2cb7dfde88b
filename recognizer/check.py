"""Check a classifier trained elsewhere: which input convention it expects, and which output is which label.

A model with 99% test accuracy can read every drawing as the same class when the
drawing is not prepared the way its training data was (black on white instead of
white on black, 0..1 instead of 0..255, the character filling the frame instead of
a 20x20 box). :func:`find_convention` draws the probe set shipped in ``models/probe.npz``
(drawings by writers outside every validation split, and a slice of MNIST test) in
every plausible convention, finds the one under which the model reads best, and the
mapping from its outputs to the alphabet's labels (another order, the EMNIST letters
layout with an unused class 0, an extra "none" output).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from . import paths
from .alphabets import Alphabet, get_alphabet
from .convention import Convention
from .preprocess import MODEL_SIZE, preprocess
from .runes import template_image

__all__ = ["PROBE_FILE", "ModelCheck", "Probe", "candidates", "find_convention", "label_mapping", "load_probe"]

PROBE_FILE = paths.MODELS_DIR / "probe.npz"
"""The labelled drawings conventions are tried on (built by ``python -m recognizer.training.probe``)."""
WORKS = 0.5
"""Below this probe accuracy no convention works, and the check says so."""
MISTAKES = 24
"""How many misread probe drawings a check keeps, to be shown."""
SEARCH_PER_CLASS = 8
"""Probe drawings per class and part used to compare the conventions (all are used for the chosen one)."""
_RANGES = ((0.0, 1.0, 0.0, 1.0), (0.0, 255.0, 0.0, 1.0), (-1.0, 1.0, 0.0, 1.0), (0.0, 1.0, 0.1307, 0.3081))
"""(low, high, mean, std): 0..1, 0..255, -1..1, and 0..1 standardised with MNIST's mean and std."""


@dataclass(frozen=True)
class Probe:
    """Labelled drawings of one alphabet.

    Attributes
    ----------
    name : str
        Where they come from, e.g. ``"drawings"`` or ``"MNIST test"``.
    images : list of np.ndarray
        uint8 HxW images, white ink on black.
    labels : np.ndarray
        (N,) int class indices into the alphabet's labels.
    """

    name: str
    images: list[np.ndarray] = field(repr=False)
    labels: np.ndarray = field(repr=False)


def load_probe(alphabet: Alphabet, path: str | Path | None = None) -> list[Probe]:
    """The probe drawings of an alphabet: shipped drawings (and MNIST for digits), or clean rune templates.

    Raises
    ------
    FileNotFoundError
        The probe file is missing.
    """
    if alphabet.chart:  # runes: no handwriting data exists; their templates at a few sizes and pen widths
        images, labels = [], []
        for i, label in enumerate(alphabet.labels):
            for size, width in itertools.product((48, 64, 96), (2.0, 4.0, 7.0)):
                images.append(template_image(label, size, width))
                labels.append(i)
        return [Probe("rune templates", images, np.array(labels))]
    with np.load(path or PROBE_FILE) as data:
        parts = [("drawings", f"{alphabet.key}_x", f"{alphabet.key}_y")]
        if alphabet.key == "digits":
            parts.append(("MNIST test", "mnist_x", "mnist_y"))
        return [
            Probe(name, list(data[x]), np.array([alphabet.index(str(v)) for v in data[y]]))
            for name, x, y in parts
            if x in data
        ]


def candidates(input_shape: tuple[int, ...]) -> list[Convention]:
    """Every plausible convention for a model input of ``input_shape`` (without the batch axis).

    Polarity x value range (0..1, 0..255, -1..1, MNIST-standardised) x placement
    (MNIST box, fill, resize) x transposed, and for a side other than 28 both
    padding and resizing the 28x28 image.
    """
    shape = tuple(int(d) for d in input_shape)
    channels_first = len(shape) == 3 and shape[0] in (1, 3) and shape[-1] not in (1, 3)
    side = round(float(np.sqrt(shape[0]))) if len(shape) == 1 else shape[1 if channels_first else 0]
    resizes = (False, True) if side != MODEL_SIZE else (False,)
    return [
        Convention(shape, channels_first, (low, high), mean, std, polarity, placement, resize, transposed)
        for polarity in ("light on dark", "dark on light")
        for low, high, mean, std in _RANGES
        for placement in ("mnist", "fill", "resize")
        for resize in resizes
        for transposed in (False, True)
    ]


def label_mapping(confusion: np.ndarray) -> list[int | None]:
    """Which label each output stands for, from a (labels, outputs) count matrix: greedily the largest agreement.

    Returns
    -------
    list of int or None
        For each output, the label index it is given, or None for an output no
        label claims (EMNIST's unused class 0, a "none" output).
    """
    counts = np.asarray(confusion, np.float64).copy()
    mapping: list[int | None] = [None] * counts.shape[1]
    for _ in range(min(counts.shape)):
        label, output = np.unravel_index(int(np.argmax(counts)), counts.shape)
        if counts[label, output] <= 0:
            break
        mapping[output] = int(label)
        counts[label, :] = -1
        counts[:, output] = -1
    return mapping


def _mapped_accuracy(
    probabilities: np.ndarray, labels: np.ndarray, num_classes: int, given: list[int | None] | None = None
) -> tuple[float, list, bool]:
    """Accuracy under the ``given`` output-to-label mapping or else the best one; the mapping; and whether it is
    unclear (an output it maps is given for drawings of other labels as often as for its own)."""
    outputs = probabilities.argmax(axis=1)
    confusion = np.zeros((num_classes, probabilities.shape[1]), np.int64)
    np.add.at(confusion, (labels, outputs), 1)
    mapping = list(given) if given is not None else label_mapping(confusion)
    correct = sum(confusion[label, output] for output, label in enumerate(mapping) if label is not None)
    shares = [
        confusion[label, o] / max(confusion[:, o].sum(), 1) for o, label in enumerate(mapping) if label is not None
    ]
    return float(correct / max(len(labels), 1)), mapping, bool(shares) and min(shares) < 0.5


@dataclass(frozen=True)
class ModelCheck:
    """What :func:`find_convention` found.

    Attributes
    ----------
    convention : Convention
        The convention under which the model reads the probe best.
    mapping : tuple of int or None
        For each model output, the alphabet label index it stands for (None: no label).
    accuracy : float
        Probe accuracy in [0, 1] with that convention and mapping, on ``samples`` drawings.
    samples : int
        Probe drawings measured.
    table : list of (Convention, float)
        Every convention tried and its accuracy on the ``searched`` drawings, best first.
    searched : int
        Probe drawings the conventions are compared on (:data:`SEARCH_PER_CLASS` of each class and part).
    confusion : np.ndarray
        (C, C) int64 counts of the chosen convention, rows the true label, columns the prediction.
    works : bool
        Whether any convention reaches :data:`WORKS`.
    mistakes : list of (np.ndarray, int, int)
        Up to :data:`MISTAKES` probe drawings read wrong: (uint8 image, true label index, predicted label
        index, -1 for an output that stands for no label).
    unclear : bool
        Whether the order of the outputs found is unclear (then give it: ``labels`` of :func:`find_convention`).
    """

    convention: Convention
    mapping: tuple[int | None, ...]
    accuracy: float
    samples: int
    table: list[tuple[Convention, float]] = field(repr=False)
    searched: int
    confusion: np.ndarray = field(repr=False)
    works: bool
    mistakes: list[tuple[np.ndarray, int, int]] = field(default_factory=list, repr=False)
    unclear: bool = False

    @property
    def per_class(self) -> np.ndarray:
        """(C,) accuracy of each label on the probe (NaN for a label without drawings)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(self.confusion) / self.confusion.sum(axis=1)

    @property
    def mapping_is_identity(self) -> bool:
        return list(self.mapping) == list(range(len(self.mapping)))

    def verdict(self, alphabet: Alphabet) -> str:
        """The finding in plain words."""
        if not self.works:
            return (
                f"No convention works: the best reads {self.accuracy:.0%} of our probe drawings. "
                "The model may not be a classifier of this alphabet."
            )
        words = f"Expects {self.convention.describe()}; reads {self.accuracy:.0%} of our probe drawings."
        if self.unclear:
            words += " The order of its outputs is unclear: give their labels (--labels, or on the page)."
        elif not self.mapping_is_identity:
            unused = [i for i, label in enumerate(self.mapping) if label is None]
            order = ", ".join(
                f"{i}→{alphabet.labels[label]}" for i, label in enumerate(self.mapping) if label is not None
            )
            words += f" Its outputs stand for: {order}" + (f" (outputs {unused} unused)." if unused else ".")
        return words


def _label_index(alphabet: Alphabet, label: str) -> int | None:
    """The class index of a label the user gave, None for ``""`` or ``"-"`` (an output that stands for none)."""
    if label.strip() in ("", "-"):
        return None
    try:
        return alphabet.index(label.strip())
    except ValueError:
        raise ValueError(f"{label.strip()!r} is not a label of the {alphabet.noun}") from None


def _canonical(images: list[np.ndarray], placement: str) -> np.ndarray:
    skip = Convention(placement=placement).skip
    return np.stack([preprocess(image, skip, background=0).model_input for image in images])


def _subset(probe: Probe, per_class: int) -> np.ndarray:
    return np.concatenate([np.flatnonzero(probe.labels == c)[:per_class] for c in np.unique(probe.labels)])


def find_convention(
    classify,
    input_shape: tuple[int, ...],
    alphabet: str,
    probe: list[Probe] | None = None,
    labels: list[str] | None = None,
) -> ModelCheck:
    """Find the input convention and output mapping under which a classifier reads the probe drawings best.

    Parameters
    ----------
    classify : callable
        ``classify(x) -> (N, K) probabilities`` for a float32 batch ``x`` of shape ``(N,) + input_shape``
        (softmax already applied to logits).
    input_shape : tuple of int
        The model's input shape without the batch axis.
    alphabet : str
        The alphabet the model is meant to read.
    probe : list of Probe, optional
        Default: :func:`load_probe` of the alphabet.
    labels : list of str, optional
        The label of each output, in order (``""`` or ``"-"`` for an output that stands for none), when the
        user knows it: then only the convention is searched.

    Raises
    ------
    ValueError
        ``labels`` names a label the alphabet does not have.

    Returns
    -------
    ModelCheck
    """
    spec = get_alphabet(alphabet)
    given = None if labels is None else [_label_index(spec, label) for label in labels]
    probe = probe or load_probe(spec)
    images = [image for part in probe for image in part.images]
    labels = np.concatenate([part.labels for part in probe])
    offsets = np.cumsum([0] + [len(part.images) for part in probe])
    search = np.concatenate(
        [_subset(part, SEARCH_PER_CLASS) + start for part, start in zip(probe, offsets, strict=False)]
    )
    canonical = {placement: _canonical([images[i] for i in search], placement) for placement in ("mnist", "resize")}

    def score(convention: Convention) -> tuple[Convention, float]:
        x = canonical["resize" if convention.placement == "resize" else "mnist"]
        return convention, _mapped_accuracy(classify(convention.apply(x)), labels[search], spec.num_classes, given)[0]

    # Polarity, values, transposition (and padding or resizing) first, then the winner's other placements.
    table = sorted((score(c) for c in candidates(input_shape) if c.placement == "mnist"), key=lambda row: -row[1])
    table += [score(replace(table[0][0], placement=placement)) for placement in ("fill", "resize")]
    table.sort(key=lambda row: -row[1])  # stable: on a tie the MNIST placement stays first
    best = table[0][0]
    full = classify(best.apply(_canonical(images, best.placement)))
    accuracy, mapping, unclear = _mapped_accuracy(full, labels, spec.num_classes, given)
    predicted = np.array([mapping[o] if mapping[o] is not None else -1 for o in full.argmax(axis=1)])
    confusion = np.zeros((spec.num_classes, spec.num_classes), np.int64)
    known = predicted >= 0
    np.add.at(confusion, (labels[known], predicted[known]), 1)
    wrong = np.flatnonzero(predicted != labels)[:MISTAKES]
    mistakes = [(images[i], int(labels[i]), int(predicted[i])) for i in wrong]
    works = bool(accuracy >= WORKS)
    unclear = unclear and given is None
    return ModelCheck(
        best, tuple(mapping), accuracy, len(labels), table, len(search), confusion, works, mistakes, unclear
    )
