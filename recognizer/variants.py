"""Why models fail: the same drawing given to a model with one preparation step missing or done wrong.

A model with 99% test accuracy "always predicts A" on real drawings when they are
not prepared like its training data. Each :class:`Variant` is the model's input for
one such mistake (black ink on white, 0..255 instead of 0..1, the whole canvas
resized, hard edges, the stroke width as drawn, a faint soft drawing with and
without the sigmoid contrast fix), all in the model's own convention, so that one
batch through the network shows what each step is for.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from .convention import Convention
from .preprocess import WHOLE_IMAGE, Step, preprocess

__all__ = ["Variant", "failure_variants", "sigmoid_contrast"]


def sigmoid_contrast(x: np.ndarray, s: float = 25.0, b: float = 50.0) -> np.ndarray:
    """The sigmoid contrast curve ``f(x) = 1 / (1 + exp(-s * (x/255 - s/b)))`` (slope 25, shift 50 on 0..100).

    With s = 25 and b = 50 it turns soft, anti-aliased or faint stroke edges hard.

    Parameters
    ----------
    x : np.ndarray
        float in [0, 1] (that is, ``x/255`` of a uint8 image).

    Returns
    -------
    np.ndarray
        Same shape, float32 in (0, 1).
    """
    return (1.0 / (1.0 + np.exp(-s * (x - s / b)))).astype(np.float32)


@dataclass(frozen=True)
class Variant:
    """One way of preparing a drawing, and what the model gets from it.

    Attributes
    ----------
    name : str
        Short title, e.g. ``"values 0..255"``.
    explanation : str
        What went wrong (or right), in one sentence.
    model_input : np.ndarray
        float32 of the convention's shape: the tensor the model gets.
    """

    name: str
    explanation: str
    model_input: np.ndarray = field(repr=False)


def failure_variants(
    image: np.ndarray, convention: Convention, background: float | None = None, canonical: np.ndarray | None = None
) -> list[Variant] | None:
    """The drawing prepared right, and with each classic mistake, as inputs of a model of ``convention``.

    Parameters
    ----------
    image : np.ndarray
        uint8 HxW, HxWx3 or HxWx4: a drawing, photo or scan of one character.
    convention : Convention
        The model's input convention (the full pipeline ends in it).
    background : float, optional
        The background's grey level when known (the app's canvas: 0).
    canonical : np.ndarray, optional
        The drawing already preprocessed for ``convention`` ((28, 28) float32), when the caller has it.

    Returns
    -------
    list of Variant or None
        The full pipeline first; None when the image is blank.

    Raises
    ------
    ValueError
        If the image is not a uint8 HxW, HxWx3 or HxWx4 array of at least 8x8.
    """
    if canonical is None:
        pre = preprocess(image, convention.skip, background)
        if pre.is_blank:
            return None
        canonical = pre.model_input
    whole = preprocess(image, WHOLE_IMAGE, background).model_input
    as_drawn = preprocess(image, {Step.STROKES} | set(convention.skip), background).model_input
    faint = 0.7 * cv2.GaussianBlur(canonical, (0, 0), 1.2)  # pale and blurred, as a pencil photo
    flipped = "dark on light" if convention.polarity == "light on dark" else "light on dark"
    low, high = convention.value_range
    other_range = (0.0, 255.0) if high - low < 100 else (0.0, 1.0)
    hard = (canonical > 0.5).astype(np.float32)
    fixed = sigmoid_contrast(faint)
    polarity, values = replace(convention, polarity=flipped), replace(convention, value_range=other_range)
    rows = [
        ("full pipeline", "prepared like the training images: the reference", convention, canonical),
        ("no polarity fix", "the ink's polarity as a photo or a canvas may deliver it", polarity, canonical),
        (
            f"values {other_range[0]:g}..{other_range[1]:g}",
            f"the same picture on a scale of {other_range[0]:g} to {other_range[1]:g} instead of {low:g} to {high:g}",
            values,
            canonical,
        ),
        ("no crop or centring", "the whole canvas resized: the character small and off-centre", convention, whole),
        ("hard edges", "ink or no ink, without the soft edges of the training images", convention, hard),
        ("stroke width as drawn", "the pen's own width, not the training images'", convention, as_drawn),
        ("faint and soft", "a pale, blurred drawing, as a pencil photo gives", convention, faint),
        (
            "faint, then the sigmoid fix",
            "the steep sigmoid contrast curve makes faint strokes strong",
            convention,
            fixed,
        ),
    ]
    return [Variant(name, why, used.apply(picture)[0]) for name, why, used, picture in rows]
