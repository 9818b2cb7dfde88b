"""Accuracy, per-class accuracy and confusions, from predictions and from a stored matrix."""

from __future__ import annotations

import numpy as np

from recognizer.metrics import evaluate_matrix, evaluate_predictions

LABELS = ("a", "b", "c")


def test_accuracy_per_class_and_confusions() -> None:
    y_true = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 1, 1, 1, 1, 2, 0])
    result = evaluate_predictions(y_true, y_pred, LABELS)
    assert result.accuracy == 5 / 8
    assert result.per_class == {"a": 0.5, "b": 1.0, "c": 0.5}
    assert result.confusions == [("a", "b", 2), ("c", "a", 1)]
    assert result.matrix.tolist() == [[2, 2, 0], [0, 2, 0], [1, 0, 1]]
    summary = result.to_dict()
    assert summary["samples"] == 8 and summary["confusion_matrix"][0] == [2, 2, 0]


def test_class_without_samples_is_nan_not_an_error() -> None:
    result = evaluate_predictions(np.array([0, 1]), np.array([0, 1]), LABELS)
    assert np.isnan(result.per_class["c"])
    assert result.to_dict()["per_class_accuracy"]["c"] is None


def test_matrix_from_a_model_card_gives_the_same_evaluation() -> None:
    result = evaluate_predictions(np.array([0, 0, 1, 2]), np.array([0, 1, 1, 0]), LABELS)
    again = evaluate_matrix(result.to_dict()["confusion_matrix"], LABELS)
    assert again.accuracy == result.accuracy and again.confusions == result.confusions
