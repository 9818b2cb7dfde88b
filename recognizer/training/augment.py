"""Training-time augmentation that matches how people draw.

Operates on batches of 28x28 model inputs with OpenCV (a few tens of
microseconds per image), inside the ``tf.data`` pipeline of
:mod:`recognizer.training.train`. Every transform is listed in :meth:`Augmentation.describe`,
which goes into the model metadata.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from ..preprocess import CENTRE, MODEL_SIZE, bounding_box, centre_by_mass, fit_box
from ..variants import sigmoid_contrast

__all__ = ["Augmentation", "augment", "refit"]


@dataclass(frozen=True)
class Augmentation:
    """Random transforms, each with its range or probability.

    Attributes
    ----------
    rotation : float
        Maximum rotation in degrees, either way.
    shear : float
        Maximum horizontal shear (slant), as a tangent, either way.
    scale : tuple of float
        Range of the scale factor.
    translate : float
        Maximum shift in pixels, each axis.
    stroke : float
        Probability of a thinner or thicker stroke (grey erosion or dilation).
    elastic : float
        Probability of an elastic distortion of ``elastic_alpha`` pixels smoothed over ``elastic_sigma``.
    blur : float
        Probability of softer stroke edges (Gaussian blur).
    sharpen : float
        Probability of hard stroke edges (the sigmoid contrast curve).
    contrast : float
        Probability of a fainter or gamma-changed drawing.
    noise : float
        Maximum standard deviation of added Gaussian noise.
    refit : float
        Probability of fitting the distorted character back into the 20x20 box and
        re-centring it (:func:`refit`), so it is placed as preprocessing places every
        input the model sees in use; otherwise scale and shift stay as drawn.
    """

    rotation: float = 15.0
    shear: float = 0.3
    scale: tuple[float, float] = (0.85, 1.1)
    translate: float = 2.0
    stroke: float = 0.3
    elastic: float = 0.3
    elastic_alpha: float = 2.0
    elastic_sigma: float = 4.0
    blur: float = 0.15
    sharpen: float = 0.15
    contrast: float = 0.2
    noise: float = 0.03
    refit: float = 0.0

    def describe(self) -> dict[str, object]:
        """Every transform and its setting, for the model metadata."""
        return {
            "library": "OpenCV on 28x28 model inputs, per batch inside tf.data",
            **asdict(self),
            "sharpen_curve": "f(x) = 1 / (1 + exp(-s * (x/255 - s/b))), s = 25, b = 50",
        }


def _affine(rng: np.random.Generator, aug: Augmentation) -> np.ndarray:
    angle = np.deg2rad(rng.uniform(-aug.rotation, aug.rotation))
    scale = rng.uniform(*aug.scale)
    shear = rng.uniform(-aug.shear, aug.shear)
    cos, sin = np.cos(angle) * scale, np.sin(angle) * scale
    linear = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]])
    centre = np.array([CENTRE, CENTRE])
    shift = rng.uniform(-aug.translate, aug.translate, 2)
    return np.hstack([linear, (centre - linear @ centre + shift)[:, None]]).astype(np.float32)


def _elastic_maps(rng: np.random.Generator, aug: Augmentation) -> tuple[np.ndarray, np.ndarray]:
    grid = np.arange(MODEL_SIZE, dtype=np.float32)
    dx, dy = (
        cv2.GaussianBlur(rng.uniform(-1, 1, (MODEL_SIZE, MODEL_SIZE)).astype(np.float32), (0, 0), aug.elastic_sigma)
        for _ in range(2)
    )
    gain = aug.elastic_alpha / max(float(np.abs(dx).max()), float(np.abs(dy).max()), 1e-6)
    return grid[None, :] + dx * gain, grid[:, None] + dy * gain


def refit(image: np.ndarray, threshold: float = 0.05) -> np.ndarray:
    """Fit a character back into the 20x20 box and centre it by mass in 28x28, as preprocessing does.

    Parameters
    ----------
    image : np.ndarray
        (28, 28) float32 in [0, 1], e.g. a model input after rotation or shear.
    threshold : float
        Pixels above it count as ink when cropping.

    Returns
    -------
    np.ndarray
        (28, 28) float32 in [0, 1]; the input itself when it holds no ink.
    """
    ink = image > threshold
    if not ink.any():
        return image
    return centre_by_mass(fit_box(np.rint(image[bounding_box(ink)] * 255).astype(np.uint8)))


def augment(x: np.ndarray, rng: np.random.Generator, aug: Augmentation = Augmentation()) -> np.ndarray:
    """Apply random transforms to a batch of model inputs.

    Parameters
    ----------
    x : np.ndarray
        (N, 28, 28) float32 in [0, 1].
    rng : np.random.Generator
        Source of all randomness (the result is a function of its state).
    aug : Augmentation
        Ranges and probabilities.

    Returns
    -------
    np.ndarray
        (N, 28, 28) float32 in [0, 1], a new array.
    """
    out = np.empty_like(x, dtype=np.float32)
    size = (MODEL_SIZE, MODEL_SIZE)
    kernel = np.ones((2, 2), np.uint8)
    for i, image in enumerate(x.astype(np.float32, copy=False)):
        image = cv2.warpAffine(image, _affine(rng, aug), size, flags=cv2.INTER_LINEAR)
        if rng.random() < aug.elastic:
            image = cv2.remap(image, *_elastic_maps(rng, aug), cv2.INTER_LINEAR)
        if aug.refit and rng.random() < aug.refit:
            image = refit(np.clip(image, 0, 1))
        if rng.random() < aug.stroke:
            thicker = rng.random() < 0.5
            changed = cv2.dilate(image, kernel) if thicker else cv2.erode(image, kernel)
            if thicker or changed.sum() > 0.5 * image.sum():
                image = changed
        if rng.random() < aug.blur:
            image = cv2.GaussianBlur(image, (3, 3), rng.uniform(0.4, 0.9))
        if rng.random() < aug.sharpen:
            image = sigmoid_contrast(image)
        elif rng.random() < aug.contrast:
            image = rng.uniform(0.6, 1.0) * image ** rng.uniform(0.6, 1.6)
        if aug.noise > 0:
            image = image + rng.normal(0, rng.uniform(0, aug.noise), size).astype(np.float32)
        out[i] = np.clip(image, 0, 1)
    return out
