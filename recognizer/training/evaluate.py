"""Measure a recognizer on a validation set of its alphabet, or on an .npz of labelled images."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..alphabets import get_alphabet
from ..inference import Recognizer
from ..metrics import Evaluation, evaluate_predictions
from ..preprocess import preprocess
from . import datasets
from .data import Dataset, label_indices

__all__ = ["evaluate", "validation_data"]


def validation_data(alphabet: str, data: str, data_dir: Path, limit: int | None = None) -> tuple[Dataset, int]:
    """A named validation set of the alphabet, or an .npz of raw images, as canonical images.

    Parameters
    ----------
    alphabet : str
        An alphabet key.
    data : str
        A validation set name of the alphabet (e.g. ``"unipen_val"``), or an
        ``.npz`` with ``x`` (uint8 images, N x H x W[xC]) and ``y`` (labels).
    data_dir : Path
        Folder with the training data files (for named sets).
    limit : int, optional
        Cap on samples per source.

    Returns
    -------
    (Dataset, int)
        The canonical (N, 28, 28) images with class indices, and how many images came out blank and were skipped.

    Raises
    ------
    ValueError
        Unknown set name, or labels that are not in the alphabet.
    """
    if data.endswith(".npz"):
        with np.load(data) as f:
            images, labels = f["x"], f["y"]
        y, known = label_indices(get_alphabet(alphabet), [str(v) for v in labels])
        if not known.all():
            raise ValueError(f"{data}: labels not in {alphabet}: {sorted(set(map(str, labels[~known])))[:10]}")
        inputs = [preprocess(image) for image in images]
        keep = np.array([not p.is_blank for p in inputs])
        x = np.array([p.model_input for p in inputs], np.float32)
        return Dataset(x[keep], y[keep]), int((~keep).sum())
    sources = datasets.build(alphabet, data_dir, limit=limit, train=False)
    if data not in sources.validation:
        raise ValueError(
            f"unknown data {data!r} for {alphabet}; expected an .npz or one of {', '.join(sources.validation)}"
        )
    return sources.validation[data], 0


def evaluate(rec: Recognizer, data: Dataset) -> Evaluation:
    """Accuracy, per-class accuracy and confusions of ``rec`` on canonical images with class indices."""
    return evaluate_predictions(data.y, rec.classify(data.x).argmax(axis=1), rec.alphabet.labels)
