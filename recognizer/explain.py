"""Everything the Why models fail page shows about one drawing, from one batch through the network.

* the preparation mistakes of :mod:`recognizer.variants`;
* robustness sweeps: the model input rotated, shifted, scaled, thickened or
  thinned, blurred and made noisy by growing amounts (:func:`sweep_inputs`),
  with where the prediction flips (:class:`Sweep`);
* why this and not that: occlusion sensitivity and Grad-CAM for the top 3
  (:mod:`recognizer.saliency`).

Variants, sweeps and occlusions go through the network together
(:meth:`recognizer.inference.Recognizer.score_inputs`), so a stroke costs one
forward pass of about 250 small images and one gradient pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from .card import NONE_OF_THESE
from .inference import TOP_K, Recognizer
from .preprocess import preprocess
from .saliency import occlusion_inputs, occlusion_maps
from .variants import Variant, failure_variants

__all__ = ["SWEEPS", "Explanation", "Saliency", "Sweep", "explain", "sweep_inputs"]


SWEEPS: dict[str, tuple[str, np.ndarray]] = {
    "rotation": ("degrees, anticlockwise", np.arange(-60, 61, 10, dtype=np.float32)),
    "shift": ("pixels to the right", np.arange(-8, 9, 2, dtype=np.float32)),
    "scale": ("times the size", np.round(np.arange(0.4, 1.61, 0.1), 2).astype(np.float32)),
    "thickness": ("pixels added to each side", np.arange(-2, 4, 1, dtype=np.float32)),
    "blur": ("Gaussian sigma, pixels", np.arange(0, 3.01, 0.5, dtype=np.float32)),
    "noise": ("noise standard deviation", np.round(np.arange(0, 0.61, 0.1), 1).astype(np.float32)),
}
"""Each sweep's axis label and amounts; each includes the amount that leaves the input as it is."""
IDENTITY = {"rotation": 0.0, "shift": 0.0, "scale": 1.0, "thickness": 0.0, "blur": 0.0, "noise": 0.0}
NOISE_SEED = 0
"""The same noise for every stroke, so the noise sweep does not flicker while drawing."""
LINES = 3
"""Classes drawn in a sweep's plot."""


def _transform(canonical: np.ndarray, name: str, amount: float) -> np.ndarray:
    """The canonical image changed by ``amount`` of sweep ``name``: (H, W) float32 in [0, 1]."""
    h, w = canonical.shape
    centre = (w / 2 - 0.5, h / 2 - 0.5)
    if name in ("rotation", "scale"):
        angle, scale = (amount, 1.0) if name == "rotation" else (0.0, amount)
        matrix = cv2.getRotationMatrix2D(centre, float(angle), float(scale))
        return cv2.warpAffine(canonical, matrix, (w, h), flags=cv2.INTER_LINEAR)
    if name == "shift":
        matrix = np.float32([[1, 0, amount], [0, 1, 0]])
        return cv2.warpAffine(canonical, matrix, (w, h), flags=cv2.INTER_LINEAR)
    if name == "thickness":
        k = int(abs(amount))
        if k == 0:
            return canonical.copy()
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * k + 1, 2 * k + 1))
        return (cv2.dilate if amount > 0 else cv2.erode)(canonical, kernel)
    if name == "blur":
        return cv2.GaussianBlur(canonical, (0, 0), float(amount)) if amount > 0 else canonical.copy()
    if name == "noise":
        noise = np.random.default_rng(NOISE_SEED).normal(0, 1, canonical.shape).astype(np.float32)
        return np.clip(canonical + amount * noise, 0, 1)
    raise ValueError(f"unknown sweep {name!r}; expected one of {', '.join(SWEEPS)}")


def sweep_inputs(canonical: np.ndarray, name: str) -> np.ndarray:
    """The canonical image at every amount of one sweep.

    Parameters
    ----------
    canonical : np.ndarray
        (H, W) float32 in [0, 1], light ink on dark (a preprocessed drawing).
    name : str
        A key of :data:`SWEEPS`.

    Returns
    -------
    np.ndarray
        (len(amounts), H, W) float32 in [0, 1].

    Examples
    --------
    >>> x = np.zeros((28, 28), np.float32); x[10:18, 13:15] = 1
    >>> shifted = sweep_inputs(x, "shift")
    >>> shifted.shape, bool(np.array_equal(shifted[4], x)), int(shifted[-1].nonzero()[1].min())
    ((9, 28, 28), True, 21)
    """
    _, amounts = SWEEPS[name]
    return np.stack([_transform(canonical, name, float(a)) for a in amounts]).astype(np.float32)


@dataclass(frozen=True)
class Sweep:
    """What the model says as one change grows.

    Attributes
    ----------
    name, unit : str
        The change and its axis label.
    amounts : np.ndarray
        (n,) float32, ascending.
    reference : int
        Index of the amount that leaves the input unchanged.
    lines : dict of str to np.ndarray
        Label -> (n,) probability at each amount, for the classes worth drawing
        (the drawing's top classes and every class that wins somewhere), and
        :data:`recognizer.card.NONE_OF_THESE` -> its probability, when the model has that output.
    predicted : list of str
        The winner at each amount: a label, or :data:`recognizer.card.NONE_OF_THESE` where the input is rejected.
    """

    name: str
    unit: str
    amounts: np.ndarray = field(repr=False)
    reference: int
    lines: dict[str, np.ndarray] = field(repr=False)
    predicted: list[str]

    @property
    def flips(self) -> list[tuple[float, str]]:
        """Where the prediction changes: (amount halfway between the neighbours, the winner beyond), outwards.

        >>> s = Sweep("shift", "px", np.array([-2.0, 0.0, 2.0]), 1, {}, ["3", "7", "7"])
        >>> s.flips
        [(-1.0, '3')]
        """
        out = []
        for step in (-1, 1):
            i = self.reference
            while 0 <= i + step < len(self.amounts):
                if self.predicted[i + step] != self.predicted[i]:
                    out.append((float((self.amounts[i] + self.amounts[i + step]) / 2), self.predicted[i + step]))
                i += step
        return sorted(out)


@dataclass(frozen=True)
class Saliency:
    """Why one of the top classes: where its evidence lies in the model input.

    Attributes
    ----------
    label : str
        The class.
    probability : float
        Its probability for the drawing.
    occlusion : np.ndarray
        (28, 28) float32 in [-1, 1]: how much covering each pixel lowers the probability.
    grad_cam : np.ndarray or None
        (28, 28) float32 in [0, 1], or None for a model without a convolution.
    """

    label: str
    probability: float
    occlusion: np.ndarray = field(repr=False)
    grad_cam: np.ndarray | None = field(repr=False)


@dataclass(frozen=True)
class Explanation:
    """Everything about one drawing: the canonical input, variants with what the model says, sweeps, saliency.

    Attributes
    ----------
    canonical : np.ndarray
        (28, 28) float32 in [0, 1], the preprocessed drawing.
    variants : list of Variant
        The preparation mistakes, the full pipeline first.
    variant_probabilities : np.ndarray
        (len(variants), num_classes) label probabilities of each.
    variant_rejected : np.ndarray
        (len(variants),) bool: where the model says "none of these".
    sweeps : list of Sweep
    saliency : list of Saliency
        For the drawing's top 3 classes.
    """

    canonical: np.ndarray = field(repr=False)
    variants: list[Variant] = field(repr=False)
    variant_probabilities: np.ndarray = field(repr=False)
    variant_rejected: np.ndarray = field(repr=False)
    sweeps: list[Sweep] = field(repr=False)
    saliency: list[Saliency] = field(repr=False)


def _winners(rec: Recognizer, probabilities: np.ndarray, rejected: np.ndarray) -> list[str]:
    return [
        NONE_OF_THESE if r else rec.alphabet.labels[int(i)]
        for i, r in zip(probabilities.argmax(axis=1), rejected, strict=True)
    ]


def _log(p: np.ndarray) -> np.ndarray:
    """Log-probabilities: in them the drops of a class the model is sure of show too."""
    return np.log(np.maximum(p, 1e-12))


def explain(rec: Recognizer, image: np.ndarray, background: float | None = None) -> Explanation | None:
    """Run a drawing through every variant, sweep and occlusion in one batch, and Grad-CAM for its top 3.

    Parameters
    ----------
    rec : Recognizer
        The model.
    image : np.ndarray
        uint8 HxW, HxWx3 or HxWx4: a drawing, photo or scan of one character.
    background : float, optional
        The background's grey level when known (the app's canvas: 0).

    Returns
    -------
    Explanation or None
        None when the image is blank.

    Raises
    ------
    ValueError
        If the image is not a uint8 HxW, HxWx3 or HxWx4 array of at least 8x8.
    """
    convention = rec.convention
    pre = preprocess(image, convention.skip, background)
    if pre.is_blank:
        return None
    canonical = pre.model_input
    variants = failure_variants(image, convention, background, canonical=canonical)
    swept = {name: sweep_inputs(canonical, name) for name in SWEEPS}
    occlusion = occlusion_inputs(canonical)
    batch = np.concatenate(
        [
            np.stack([v.model_input for v in variants]),
            convention.apply(np.concatenate(list(swept.values()))),
            convention.apply(occlusion.inputs),
        ]
    )
    scores = rec.score_inputs(batch)  # one pass for the whole page
    n = len(variants)
    reference = scores.probabilities[0]
    top = [int(i) for i in np.argsort(reference)[::-1][:TOP_K]]

    sweeps, start = [], n
    for name, inputs in swept.items():
        part = slice(start, start + len(inputs))
        start += len(inputs)
        probabilities, none = scores.probabilities[part], scores.none[part]
        predicted = _winners(rec, probabilities, scores.rejected[part])
        shown = list(dict.fromkeys(top[:LINES] + [int(i) for i in probabilities.argmax(axis=1)]))
        lines = {rec.alphabet.labels[i]: probabilities[:, i] for i in shown}
        if rec.card.rejection is not None:
            lines[NONE_OF_THESE] = none
        unit, amounts = SWEEPS[name]
        ref = int(np.flatnonzero(amounts == IDENTITY[name])[0])
        sweeps.append(Sweep(name, unit, amounts, ref, lines, predicted))

    maps = occlusion_maps(occlusion, _log(reference[top]), _log(scores.probabilities[start:][:, top]))
    cams = rec.grad_cam(variants[0].model_input, top)
    saliency = [
        Saliency(rec.alphabet.labels[c], float(reference[c]), maps[k], None if cams is None else cams[k])
        for k, c in enumerate(top)
    ]
    return Explanation(canonical, variants, scores.probabilities[:n], scores.rejected[:n], sweeps, saliency)
