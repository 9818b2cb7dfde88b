"""Accuracy, per-class accuracy and the most frequent confusions, from predictions or a stored confusion matrix."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Evaluation", "evaluate_matrix", "evaluate_predictions"]


@dataclass(frozen=True)
class Evaluation:
    """How well predictions match the truth.

    Attributes
    ----------
    accuracy : float
        Fraction correct, in [0, 1].
    per_class : dict of str to float
        Accuracy of each true label (NaN where a label has no samples).
    confusions : list of (str, str, int)
        (true label, predicted label, count) of the most frequent mistakes, descending.
    matrix : np.ndarray
        (C, C) int64, rows the true class and columns the prediction.
    labels : tuple of str
        Class labels, the matrix's row and column order.
    """

    accuracy: float
    per_class: dict[str, float]
    confusions: list[tuple[str, str, int]]
    matrix: np.ndarray
    labels: tuple[str, ...]

    @property
    def samples(self) -> int:
        return int(self.matrix.sum())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary (the matrix as nested lists)."""
        return {
            "samples": self.samples,
            "accuracy": round(self.accuracy, 5),
            "per_class_accuracy": {k: (None if np.isnan(v) else round(v, 4)) for k, v in self.per_class.items()},
            "top_confusions": [{"true": t, "predicted": p, "count": c} for t, p, c in self.confusions],
            "confusion_matrix": self.matrix.tolist(),
        }


def evaluate_predictions(y_true: np.ndarray, y_pred: np.ndarray, labels: tuple[str, ...], top: int = 10) -> Evaluation:
    """Compare predicted class indices with the true ones.

    Parameters
    ----------
    y_true, y_pred : np.ndarray
        (N,) int class indices in ``range(len(labels))``.
    labels : tuple of str
        Class labels.
    top : int
        How many of the most frequent confusions to list.
    """
    n = len(labels)
    matrix = np.bincount(np.asarray(y_true) * n + np.asarray(y_pred), minlength=n * n).reshape(n, n)
    return evaluate_matrix(matrix, labels, top)


def evaluate_matrix(matrix: np.ndarray, labels: tuple[str, ...], top: int = 10) -> Evaluation:
    """Accuracy, per-class accuracy and the most frequent confusions of a (C, C) confusion matrix.

    Rows are the true class, columns the prediction (as stored in a model's metadata).
    """
    matrix = np.asarray(matrix, np.int64)
    n = len(labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.diag(matrix) / matrix.sum(axis=1)
    mistakes = matrix.copy()
    np.fill_diagonal(mistakes, 0)
    order = np.argsort(mistakes, axis=None)[::-1][:top]
    confusions = [(labels[i // n], labels[i % n], int(mistakes.flat[i])) for i in order if mistakes.flat[i] > 0]
    accuracy = float(np.trace(matrix) / max(matrix.sum(), 1))
    return Evaluation(
        accuracy, dict(zip(labels, per_class.astype(float).tolist(), strict=True)), confusions, matrix, tuple(labels)
    )
