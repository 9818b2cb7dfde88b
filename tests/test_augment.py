from __future__ import annotations

import cv2
import numpy as np
from drawing import digit

from recognizer.preprocess import BOX_SIZE, CENTRE, preprocess
from recognizer.training.augment import Augmentation, augment, refit
from recognizer.variants import sigmoid_contrast

BATCH = np.stack([preprocess(digit(d)).model_input for d in "0123456789"])


def test_augment_keeps_shape_range_and_is_seeded() -> None:
    out = augment(BATCH, np.random.default_rng(0))
    assert out.shape == BATCH.shape and out.dtype == np.float32
    assert out.min() >= 0 and out.max() <= 1
    np.testing.assert_array_equal(out, augment(BATCH, np.random.default_rng(0)))
    assert not np.array_equal(out, augment(BATCH, np.random.default_rng(1)))
    assert not np.array_equal(out, BATCH)


def test_augmented_digits_stay_recognisable_in_shape() -> None:
    out = augment(BATCH, np.random.default_rng(0), Augmentation(noise=0))
    for before, after in zip(BATCH, out, strict=True):
        assert 0.4 < after.sum() / before.sum() < 2.0
        assert np.corrcoef(before.ravel(), after.ravel())[0, 1] > 0.1


def test_no_op_augmentation_is_the_identity() -> None:
    none = Augmentation(0, 0, (1, 1), 0, 0, 0, 2, 4, 0, 0, 0, 0)
    np.testing.assert_allclose(augment(BATCH, np.random.default_rng(0), none), BATCH, atol=1e-6)


def placement(image: np.ndarray) -> tuple[int, float, float]:
    """Long side of the ink's bounding box and the centre of mass (row, column)."""
    rows, cols = np.flatnonzero((image > 0.05).any(axis=1)), np.flatnonzero((image > 0.05).any(axis=0))
    total = image.sum()
    row, col = image.sum(axis=1) @ np.arange(28) / total, image.sum(axis=0) @ np.arange(28) / total
    return max(rows[-1] - rows[0], cols[-1] - cols[0]) + 1, row, col


def test_refit_places_a_moved_character_as_preprocessing_does() -> None:
    shrunk_and_shifted = cv2.warpAffine(BATCH[3], np.float32([[0.8, 0, 6], [0, 0.8, 1]]), (28, 28))
    back = refit(shrunk_and_shifted)
    side, row, col = placement(back)
    assert side == BOX_SIZE and abs(row - CENTRE) < 1 and abs(col - CENTRE) < 1
    assert np.corrcoef(back.ravel(), BATCH[3].ravel())[0, 1] > 0.7
    np.testing.assert_array_equal(refit(np.zeros((28, 28), np.float32)), 0)


def test_refit_augmentation_keeps_every_character_in_the_box() -> None:
    geometric_only = Augmentation(stroke=0, blur=0, sharpen=0, contrast=0, noise=0, refit=1.0)
    out = augment(BATCH, np.random.default_rng(0), geometric_only)
    for image in out:
        side, row, col = placement(image)
        assert BOX_SIZE - 1 <= side <= BOX_SIZE and abs(row - CENTRE) < 1 and abs(col - CENTRE) < 1


def test_sigmoid_contrast_hardens_soft_edges() -> None:
    x = np.linspace(0, 1, 11, dtype=np.float32)
    y = sigmoid_contrast(x)
    assert y[0] < 0.001 and y[-1] > 0.999 and abs(y[5] - 0.5) < 1e-6
    assert np.all(np.diff(y) > 0)
    edges = lambda a: ((a > 0.1) & (a < 0.9)).sum()  # noqa: E731
    assert edges(sigmoid_contrast(BATCH[0])) < 0.5 * edges(BATCH[0])


def test_describe_lists_every_transform() -> None:
    described = Augmentation().describe()
    transforms = ("rotation", "shear", "scale", "translate", "stroke", "elastic", "blur", "sharpen", "contrast")
    for key in (*transforms, "noise", "refit"):
        assert key in described
    assert "exp(-s" in described["sharpen_curve"]
