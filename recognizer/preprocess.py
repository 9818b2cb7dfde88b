"""From any drawing, photo or scan of one character to the canonical 28x28 image.

The models are trained on images in the MNIST convention: white ink on black,
the character scaled into a 20x20 box with soft anti-aliased edges and centred
by centre of mass in a 28x28 image. A drawing only gets recognised if it is
brought into exactly that form. Preprocessing has two public stages, each a
pure function that records its steps by name (:class:`Step`):

:func:`find_ink`: where is the character?

1. grayscale      alpha composited onto a contrasting background, RGB to luminance
2. background     a smooth surface fitted to the paper or canvas, so uneven
                  lighting disappears
3. ink            the ink, bright on black, whatever the original polarity (read
                  from which side of the background the ink lies on)
4. mask           ink thresholded against the noise level, specks removed
5. cropped        cut to the ink's bounding box, with its soft edges

:func:`normalise`: make it look like the training images

6. strokes        rescaled to a fixed working size and stroke width, so thin
                  pens and thick brushes look alike
7. box            fitted into 20x20 keeping the aspect ratio (area averaging
                  gives the soft edges of the training data)
8. model input    pasted into 28x28 with the centre of mass at the centre

:func:`preprocess` runs both. Any step from ``background`` on can be switched
off (``skip``, see :data:`SKIPPABLE` for what happens instead), which is how the
app shows what each step is for. The result is the canonical image; a model's
own input convention is applied to it by :meth:`recognizer.convention.Convention.apply`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache

import cv2
import numpy as np

__all__ = [
    "BOX_SIZE",
    "CENTRE",
    "DESCRIPTIONS",
    "MODEL_SIZE",
    "SKIPPABLE",
    "WHOLE_IMAGE",
    "Ink",
    "Preprocessed",
    "Step",
    "bounding_box",
    "centre_by_mass",
    "check_image",
    "find_ink",
    "fit_background",
    "fit_box",
    "ink_mask",
    "normalise",
    "normalise_strokes",
    "preprocess",
    "stroke_width",
    "to_grayscale",
]


class Step(StrEnum):
    """The name of every preprocessing step, in order; each is also the step's key in ``steps``."""

    INPUT = "input"
    GRAYSCALE = "grayscale"
    BACKGROUND = "background"
    INK = "ink"
    MASK = "mask"
    CROPPED = "cropped"
    STROKES = "strokes"
    BOX = "box"
    MODEL_INPUT = "model input"


DESCRIPTIONS: dict[Step, str] = {
    Step.INPUT: "the drawing or photo as it came",
    Step.GRAYSCALE: "brightness only, colour and transparency gone",
    Step.BACKGROUND: "the canvas or paper without the ink: uneven light on a photo, flat on the canvas",
    Step.INK: "what differs from the background, white on black whatever colour the ink was",
    Step.MASK: "the ink that stands out from the noise, specks removed",
    Step.CROPPED: "cut to the ink, soft edges kept",
    Step.STROKES: "every pen made the same width",
    Step.BOX: "scaled into a 20 x 20 box, like the training images",
    Step.MODEL_INPUT: "centred by its centre of mass in 28 x 28: what the network gets",
}
"""What each step does, in words for the page that shows them."""

WHOLE_IMAGE = frozenset({Step.CROPPED, Step.STROKES, Step.BOX, Step.MODEL_INPUT})
"""The steps that cut out and place the character: without them the whole image is resized to 28x28."""

SKIPPABLE: dict[Step, str] = {
    Step.BACKGROUND: "a flat background at the median grey level: uneven lighting stays",
    Step.INK: "the grey image as it is: no background removal, no polarity fix (whatever is light is ink)",
    Step.MASK: "every mark above the threshold is kept, specks too",
    Step.CROPPED: "the whole image, not cut to the ink",
    Step.STROKES: "strokes keep the width they were drawn with",
    Step.BOX: "scaled to fill the 28x28 frame instead of the 20x20 box",
    Step.MODEL_INPUT: "centred by its bounding box instead of its centre of mass",
}
"""The steps a caller may switch off, and what happens instead."""

MODEL_SIZE = 28
"""Side of the square model input."""
BOX_SIZE = 20
"""Side of the box the character is scaled into (MNIST convention)."""
CENTRE = 14.0
"""Where MNIST puts the centre of mass (row and column, pixel-index coordinates)."""
MIN_SIDE = 8
MAX_SIDE = 512
"""Larger images are downscaled to this long side before anything else."""
WORK_SIZE = 5 * BOX_SIZE
"""Long side of the cropped character while its strokes are normalised."""
STROKE_WIDTH = 0.12
"""Target stroke width relative to the character's long side (keeps MNIST's mean ink, 0.133, on MNIST)."""
MIN_CONTRAST = 24.0
"""Least ink contrast (grey levels) that counts as a drawing rather than an empty image."""
NOISE_FACTOR = 6.0
"""Ink must stand this many noise standard deviations above the background."""
TWO_TONE = 0.8
"""Share of the grey-level variance that two flat levels must explain for an image to count as two-tone."""


@dataclass(frozen=True)
class Preprocessed:
    """Result of :func:`preprocess`.

    Attributes
    ----------
    model_input : np.ndarray
        (28, 28) float32 in [0, 1], white ink on black; all zeros when blank.
    steps : dict of Step to np.ndarray
        Every step that ran, by name, in order, ending with ``Step.MODEL_INPUT``
        (or with the step at which a blank input was detected).
    polarity : str
        ``"light ink on dark"`` or ``"dark ink on light"``.
    blank_reason : str or None
        Why there is nothing to classify (empty, only noise, a dot), else None.
    """

    model_input: np.ndarray
    steps: dict[Step, np.ndarray] = field(repr=False)
    polarity: str
    blank_reason: str | None = None

    @property
    def is_blank(self) -> bool:
        return self.blank_reason is not None


def check_image(image: np.ndarray) -> None:
    """Raise ``ValueError`` unless ``image`` is a uint8 HxW, HxWx3 or HxWx4 array of at least 8x8."""
    if not isinstance(image, np.ndarray):
        raise ValueError(f"expected a numpy array, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"expected dtype uint8 (values 0..255), got {image.dtype}")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (3, 4)):
        raise ValueError(f"expected shape HxW, HxWx3 or HxWx4, got {image.shape}")
    if min(image.shape[:2]) < MIN_SIDE:
        raise ValueError(f"expected an image of at least {MIN_SIDE}x{MIN_SIDE} pixels, got {image.shape[:2]}")


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Luminance of an image, with transparency composited onto a contrasting background.

    Parameters
    ----------
    image : np.ndarray
        uint8, HxW, HxWx3 (RGB) or HxWx4 (RGBA), values 0..255.

    Returns
    -------
    np.ndarray
        uint8 HxW, values 0..255. Transparent pixels become black when the
        visible ink is light and white when it is dark, so ink on a
        transparent canvas always stands out.
    """
    if image.ndim == 2:
        return image
    rgb = image.shape[2] == 3
    gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY if rgb else cv2.COLOR_RGBA2GRAY)
    if rgb:
        return gray
    alpha = image[..., 3]
    if alpha.min() == 255:
        return gray
    a = alpha.astype(np.float32) / 255.0
    weight = float(a.sum())
    ink_is_light = weight > 0 and float((gray * a).sum()) / weight >= 128
    background = 0.0 if ink_is_light else 255.0
    return np.rint(gray * a + background * (1.0 - a)).astype(np.uint8)


def limit_size(gray: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """Downscale (area averaging) so the long side is at most ``max_side``; uint8 HxW in and out."""
    h, w = gray.shape
    scale = max_side / max(h, w)
    if scale >= 1:
        return gray
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(gray, size, interpolation=cv2.INTER_AREA)


def fit_background(gray: np.ndarray, grid: int = 32, iterations: int = 4) -> np.ndarray:
    """Fit a smooth quadratic surface to the background of a grey image.

    The ink covers less than half of a drawing, so a robust fit that ignores
    pixels far from the surface on either side finds the paper or canvas,
    including a gradient from uneven lighting, and never the strokes.

    Parameters
    ----------
    gray : np.ndarray
        uint8 HxW, values 0..255.
    grid : int
        The fit runs on the image resampled to ``grid`` x ``grid`` cells.
    iterations : int
        Rounds of refitting without the outlying cells.

    Returns
    -------
    np.ndarray
        float32 HxW, the background level at each pixel, in grey levels.
    """
    small = cv2.resize(gray, (grid, grid), interpolation=cv2.INTER_AREA).astype(np.float64).ravel()
    design = _quadratic_design(grid)
    residual = small - np.median(small)  # start flat: the median level is background
    coef = np.zeros(design.shape[1])
    coef[0] = np.median(small)
    for _ in range(iterations):
        keep = np.abs(residual) <= 2.5 * (1.4826 * np.median(np.abs(residual)) + 1.0)
        if keep.sum() < 2 * design.shape[1]:
            break
        kept = design[keep]
        coef = np.linalg.lstsq(kept.T @ kept, kept.T @ small[keep], rcond=None)[0]  # the normal equations: 6 x 6
        residual = small - design @ coef
    surface = (design @ coef).reshape(grid, grid).astype(np.float32)
    return cv2.resize(surface, gray.shape[::-1], interpolation=cv2.INTER_LINEAR)


@lru_cache
def _quadratic_design(grid: int) -> np.ndarray:
    """(grid * grid, 6) float64: 1, u, v, u², uv, v² at each cell of a grid over [-1, 1]², row by row."""
    v, u = np.mgrid[-1 : 1 : grid * 1j, -1 : 1 : grid * 1j].reshape(2, -1)
    return np.stack([np.ones_like(u), u, v, u * u, u * v, v * v], axis=1)


def _tails(values: np.ndarray, fraction: float = 0.002, least: int = 4) -> tuple[float, float]:
    """Means of the smallest and of the largest ``fraction`` of ``values`` (at least ``least`` each)."""
    flat = values.ravel()
    k = min(flat.size // 2, max(least, int(flat.size * fraction)))
    lowest, highest = flat.min(), flat.max()
    if np.count_nonzero(flat == lowest) >= k and np.count_nonzero(flat == highest) >= k:
        return float(lowest), float(highest)  # a canvas of known background, ink at full strength: no sorting
    part = np.partition(flat, (k - 1, flat.size - k))
    return float(part[:k].mean()), float(part[-k:].mean())


def ink_mask(ink: np.ndarray, peak: float, noise: float, remove_specks: bool = True) -> np.ndarray:
    """Threshold an ink map against its noise level and drop specks.

    Parameters
    ----------
    ink : np.ndarray
        float32 HxW, ink strength in grey levels (bright ink, background 0).
    peak : float
        Typical strength of the strongest ink, in grey levels.
    noise : float
        Standard deviation of the background noise, in grey levels.
    remove_specks : bool
        Drop marks smaller than 3 pixels or 5% of the largest one, and all of
        them when what is left is only specks scattered far apart.

    Returns
    -------
    np.ndarray
        bool HxW, True on the character's strokes; all False when no stroke
        stands out from the noise.
    """
    if peak < max(MIN_CONTRAST, NOISE_FACTOR * noise):
        return np.zeros(ink.shape, dtype=bool)
    mask = (ink > max(0.4 * peak, 3.0 * noise)).astype(np.uint8)
    if not remove_specks:
        return mask.astype(bool)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if areas.size == 0:
        return np.zeros(ink.shape, dtype=bool)
    keep = np.zeros(count, dtype=bool)
    keep[1:] = areas >= max(3, 0.05 * areas.max())
    if _scattered(stats[keep]):
        return np.zeros(ink.shape, dtype=bool)
    return mask.astype(bool) if keep[1:].all() else keep[labels]


def _scattered(stats: np.ndarray) -> bool:
    """Whether marks (connected-component stats rows) are only specks far apart: none spans a tenth of their extent."""
    if len(stats) < 2:
        return False
    left, top = stats[:, cv2.CC_STAT_LEFT], stats[:, cv2.CC_STAT_TOP]
    right, bottom = left + stats[:, cv2.CC_STAT_WIDTH], top + stats[:, cv2.CC_STAT_HEIGHT]
    extent = max(right.max() - left.min(), bottom.max() - top.min())
    return int(np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]).max()) < 0.1 * extent


def stroke_width(mask: np.ndarray) -> float:
    """Typical stroke width in pixels of a binary mask (twice the distance to the edge along the ridge)."""
    # Pad so that strokes touching the image edge end there.
    dist = cv2.distanceTransform(np.pad(mask.astype(np.uint8), 1), cv2.DIST_L2, 3)
    ridge = (dist > 0) & (dist >= cv2.dilate(dist, np.ones((3, 3), np.uint8)))
    return max(1.0, 2.0 * float(np.median(dist[ridge])) - 1.0) if ridge.any() else 0.0


def bounding_box(mask: np.ndarray) -> tuple[slice, slice]:
    """The rows and columns of the smallest box around the True pixels of a non-empty bool HxW mask."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def _resize_long_side(image: np.ndarray, side: int, interpolation: int) -> np.ndarray:
    h, w = image.shape
    scale = side / max(h, w)
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=interpolation)


def normalise_strokes(ink: np.ndarray, crop: bool = True) -> np.ndarray:
    """Rescale a cropped character to ``WORK_SIZE`` and give its strokes the standard width.

    Parameters
    ----------
    ink : np.ndarray
        float32 HxW in [0, 1], the character's anti-aliased strokes (1 at full
        strength), cropped to their bounding box.
    crop : bool
        Cut the result to the strokes; without, the whole input stays (when it was not cropped).

    Returns
    -------
    np.ndarray
        uint8 with long side about ``WORK_SIZE``, values 0 or 255, strokes about
        ``STROKE_WIDTH * WORK_SIZE`` pixels wide, cropped to the strokes.
    """
    upscale = WORK_SIZE >= max(ink.shape)
    work = _resize_long_side(ink, WORK_SIZE, cv2.INTER_LINEAR if upscale else cv2.INTER_AREA)
    # Enlarged, the half-strength contour of the soft edges outlines the strokes with sub-pixel
    # accuracy; shrunk, a fine pen line becomes partial coverage: keep it rather than lose it.
    binary = (work > (0.5 if upscale else 0.2)).astype(np.uint8)
    if not binary.any():  # only faint coverage left after shrinking: keep every trace of ink
        binary = (work > 0).astype(np.uint8)
    width, target = stroke_width(binary), STROKE_WIDTH * WORK_SIZE
    grow = round(target - width)
    if grow >= 2 or grow <= -3:
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (abs(grow) + 1,) * 2)
        binary = np.pad(binary, abs(grow))
        changed = cv2.dilate(binary, kernel) if grow > 0 else cv2.erode(binary, kernel)
        # Never erode a character away: keep the original where thinning would erase most of it.
        if grow > 0 or changed.sum() > 0.25 * binary.sum():
            binary = changed
    return (binary[bounding_box(binary)] if crop else binary) * np.uint8(255)


def fit_box(strokes: np.ndarray, box: int = BOX_SIZE) -> np.ndarray:
    """Scale strokes into a ``box`` x ``box`` square keeping the aspect ratio.

    Parameters
    ----------
    strokes : np.ndarray
        uint8 HxW, values 0..255.

    Returns
    -------
    np.ndarray
        float32, long side ``box``, values in [0, 1]; area averaging gives soft,
        anti-aliased stroke edges like the training data.
    """
    scaled = _resize_long_side(strokes.astype(np.float32) / 255.0, box, cv2.INTER_AREA)
    return np.clip(scaled, 0.0, 1.0, out=scaled)  # area averaging may round a hair past 1


def centre_by_mass(box: np.ndarray, size: int = MODEL_SIZE, by_mass: bool = True) -> np.ndarray:
    """Paste a character into a ``size`` x ``size`` image with its centre of mass at the centre.

    Parameters
    ----------
    box : np.ndarray
        float32 HxW with H, W <= size, values in [0, 1].
    size : int
        Side of the output.
    by_mass : bool
        With False, centre the box itself instead (its middle at the middle).

    Returns
    -------
    np.ndarray
        float32 (size, size), values in [0, 1]. The shift is whole pixels (as
        in MNIST) and limited so that the character stays inside.
    """
    h, w = box.shape
    total = float(box.sum())
    if total <= 0:
        return np.zeros((size, size), np.float32)
    if by_mass:
        row = float(box.sum(axis=1) @ np.arange(h)) / total
        col = float(box.sum(axis=0) @ np.arange(w)) / total
        centre = CENTRE * size / MODEL_SIZE
        top = int(np.clip(round(centre - row), 0, size - h))
        left = int(np.clip(round(centre - col), 0, size - w))
    else:
        top, left = (size - h) // 2, (size - w) // 2
    out = np.zeros((size, size), np.float32)
    out[top : top + h, left : left + w] = box
    return out


@dataclass(frozen=True)
class Ink:
    """Result of :func:`find_ink`: the character's ink, cropped, or why there is none.

    Attributes
    ----------
    cropped : np.ndarray or None
        float32 HxW in [0, 1], the ink's soft, anti-aliased strokes (1 at full
        strength) cut to their bounding box; None when blank.
    steps : dict of Step to np.ndarray
        The steps that ran, from ``Step.INPUT`` to ``Step.CROPPED`` (or to the
        step at which the image turned out blank).
    polarity : str
        ``"light ink on dark"`` or ``"dark ink on light"``.
    blank_reason : str or None
        Why there is nothing to classify, else None.
    """

    cropped: np.ndarray | None = field(repr=False)
    steps: dict[Step, np.ndarray] = field(repr=False)
    polarity: str
    blank_reason: str | None = None


def _check_skip(skip: frozenset[Step] | set[Step]) -> None:
    unknown = set(skip) - set(SKIPPABLE)
    if unknown:
        raise ValueError(f"cannot skip {', '.join(sorted(map(str, unknown)))}; skippable steps: {', '.join(SKIPPABLE)}")


@dataclass(frozen=True)
class _Separation:
    level: np.ndarray  # float32 HxW background level
    ink: np.ndarray  # float32 HxW ink strength in grey levels
    peak: float
    mask: np.ndarray  # bool HxW
    light: bool  # light ink on dark


def _separate(
    gray: np.ndarray, level: np.ndarray, skip: frozenset[Step] | set[Step], light: bool | None = None
) -> _Separation:
    """Ink against a background ``level`` (float32 HxW): its strength, peak, mask and polarity.

    ``light`` forces the polarity (a canvas whose background is known). Without
    the ``INK`` step the grey image itself is the ink; without ``MASK`` specks stay.
    """
    diff = gray.astype(np.float32) - level
    if Step.INK in skip:
        light, ink = True, gray.astype(np.float32)
        peak = max(_tails(ink)[1], 1.0)
    else:
        darkest, lightest = _tails(diff)
        light = lightest >= -darkest if light is None else light
        ink = np.maximum(diff if light else -diff, 0)
        peak = max(lightest if light else -darkest, 0.0)
    # Noise from the background's side of the level only, so that ink covering much of the image does not count.
    side = diff[::2, ::2]
    side = side[side <= 0] if light else side[side >= 0]
    noise = 1.4826 * float(np.median(np.abs(side))) if side.size else 0.0
    return _Separation(level, ink, peak, ink_mask(ink, peak, noise, Step.MASK not in skip), light)


def _two_levels(gray: np.ndarray) -> tuple[np.ndarray, bool] | None:
    """A flat background for a clean two-tone image: (level as float32 HxW, whether the ink is light).

    Otsu's threshold splits the grey levels; the background is the larger part
    (when the two are about even, the one that holds more of the image's edge).
    None unless the image is two-tone: the split must explain at least
    :data:`TWO_TONE` of the grey-level variance (noise alone explains about 0.64).
    """
    threshold, _ = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = gray > threshold
    share = float(bright.mean())
    if not 0 < share < 1:
        return None
    explained = share * (1 - share) * (float(gray[bright].mean()) - float(gray[~bright].mean())) ** 2
    if explained < TWO_TONE * float(gray.var()):
        return None
    if abs(share - 0.5) < 0.05:
        edge = np.concatenate([bright[0], bright[-1], bright[:, 0], bright[:, -1]])
        share = float(edge.mean())
    background_is_bright = share > 0.5
    level = float(np.median(gray[bright] if background_is_bright else gray[~bright]))
    return np.full(gray.shape, level, np.float32), not background_is_bright


def find_ink(
    image: np.ndarray, skip: frozenset[Step] | set[Step] = frozenset(), background: float | None = None
) -> Ink:
    """Find the character's ink in a drawing, photo or scan and cut it out.

    Parameters
    ----------
    image : np.ndarray
        uint8, HxW, HxWx3 (RGB) or HxWx4 (RGBA), at least 8x8, values 0..255.
        Either polarity; any background that is smooth (uniform, or unevenly lit).
    skip : set of Step
        Steps to switch off (``BACKGROUND``, ``INK``, ``MASK``, ``CROPPED``; see :data:`SKIPPABLE`).
    background : float, optional
        The background's grey level when it is known (the app's canvas is black: 0).
        The ink is then whatever differs from it, however much of the image it covers.

    Returns
    -------
    Ink
        The cropped soft ink, float32 HxW in [0, 1], with every step by name,
        the polarity, and why the image is blank if it is.

    Raises
    ------
    ValueError
        If the dtype or shape is not one of the above, or a step cannot be skipped.
    """
    check_image(image)
    _check_skip(skip)
    steps: dict[Step, np.ndarray] = {Step.INPUT: image}
    gray = limit_size(to_grayscale(image))
    steps[Step.GRAYSCALE] = gray

    if background is not None:
        level = np.full(gray.shape, background, np.float32)
    elif Step.BACKGROUND in skip:
        level = np.full(gray.shape, np.median(gray), np.float32)
    else:
        level = fit_background(gray)
    found = _separate(gray, level, skip, light=None if background is None else background < 128)
    refit = not found.mask.any() and found.peak >= MIN_CONTRAST and background is None and Step.BACKGROUND not in skip
    # A character cropped tight (ink over much of the image, touching its edges) can bend the fitted
    # surface towards the ink: split the image into two grey levels instead, as a clean scan has.
    if refit and (two_tone := _two_levels(gray)):
        split = _separate(gray, two_tone[0], skip, two_tone[1])
        found = split if split.mask.any() else found
    level, ink, peak, mask = found.level, found.ink, found.peak, found.mask
    polarity = "light ink on dark" if found.light else "dark ink on light"
    if Step.BACKGROUND not in skip:
        steps[Step.BACKGROUND] = np.clip(level, 0, 255).astype(np.uint8)
    if Step.INK not in skip:
        steps[Step.INK] = np.clip(ink * (255.0 / max(peak, 1.0)), 0, 255).astype(np.uint8)
    if Step.MASK not in skip:
        steps[Step.MASK] = mask.astype(np.uint8) * np.uint8(255)

    def blank(reason: str) -> Ink:
        return Ink(None, steps, polarity, reason)

    if not mask.any():
        if peak < MIN_CONTRAST:
            return blank("Nothing to recognise: the image is one flat colour (empty, or inked all over).")
        return blank("No character found: only faint marks or noise.")

    box = bounding_box(mask)
    if max(mask[box].shape) < 3 or max(mask[box].shape) < 1.8 * stroke_width(mask[box]):
        return blank("Only a dot or a blob: draw a whole character with lines.")
    if Step.CROPPED in skip:
        box = (slice(None), slice(None))
    # The ink with its soft edges, but only around the strokes kept in the mask.
    near = cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8))[box].astype(bool)
    cropped = np.where(near, np.minimum(ink[box] / peak, 1.0), 0.0).astype(np.float32)
    if Step.CROPPED not in skip:
        steps[Step.CROPPED] = np.rint(cropped * 255).astype(np.uint8)
    return Ink(cropped, steps, polarity)


def normalise(cropped: np.ndarray, skip: frozenset[Step] | set[Step] = frozenset()) -> dict[Step, np.ndarray]:
    """Bring a cropped character into the MNIST form: stroke width, 20x20 box, centre of mass.

    Parameters
    ----------
    cropped : np.ndarray
        float32 HxW in [0, 1], the character's soft strokes (from :func:`find_ink`).
    skip : set of Step
        Steps to switch off (``STROKES``, ``BOX``, ``MODEL_INPUT``; see :data:`SKIPPABLE`).

    Returns
    -------
    dict of Step to np.ndarray
        The steps that ran, in order, always ending with ``Step.MODEL_INPUT``:
        the canonical (28, 28) float32 image in [0, 1], white ink on black.

    Raises
    ------
    ValueError
        If a step cannot be skipped.
    """
    _check_skip(skip)
    steps: dict[Step, np.ndarray] = {}
    if Step.STROKES in skip:
        strokes = np.rint(cropped * 255).astype(np.uint8)
    else:
        strokes = steps[Step.STROKES] = normalise_strokes(cropped, crop=Step.CROPPED not in skip)
    box = fit_box(strokes, MODEL_SIZE if Step.BOX in skip else BOX_SIZE)
    if Step.BOX not in skip:
        steps[Step.BOX] = box
    steps[Step.MODEL_INPUT] = centre_by_mass(box, by_mass=Step.MODEL_INPUT not in skip)
    return steps


def preprocess(
    image: np.ndarray, skip: frozenset[Step] | set[Step] = frozenset(), background: float | None = None
) -> Preprocessed:
    """Turn a drawing, photo or scan of one character into the canonical model input.

    :func:`find_ink`, then :func:`normalise`.

    Parameters
    ----------
    image : np.ndarray
        uint8, HxW, HxWx3 (RGB) or HxWx4 (RGBA), at least 8x8, values 0..255.
        Either polarity; any background that is smooth (uniform, or unevenly lit).
    skip : set of Step
        Steps to switch off (see :data:`SKIPPABLE`); none by default.
    background : float, optional
        The background's grey level when it is known (see :func:`find_ink`).

    Returns
    -------
    Preprocessed
        The (28, 28) float32 model input in [0, 1], every step by name, the
        detected polarity, and why the image is blank if it is.

    Raises
    ------
    ValueError
        If the dtype or shape is not one of the above, or a step cannot be skipped.
    """
    ink = find_ink(image, skip, background)
    if ink.cropped is None:
        return Preprocessed(np.zeros((MODEL_SIZE, MODEL_SIZE), np.float32), ink.steps, ink.polarity, ink.blank_reason)
    steps = ink.steps | normalise(ink.cropped, skip)
    return Preprocessed(steps[Step.MODEL_INPUT], steps, ink.polarity)
