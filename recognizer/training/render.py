"""Pen strokes drawn the way a person draws them on the app's canvas or on paper."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

import cv2
import numpy as np

__all__ = ["CANVAS", "continental", "layout_row", "paint", "render_strokes", "restyle"]

CANVAS = 128
"""Side of the square canvas drawings are rendered on before preprocessing."""


def render_strokes(strokes: Sequence[np.ndarray], rng: np.random.Generator, canvas: int = CANVAS) -> np.ndarray:
    """Draw pen strokes the way a person draws on a canvas or on paper.

    A round brush of random width (thin pen to thick brush), the character at a
    random size and position, either polarity (ink on a dark canvas or on light
    paper with a gentle lighting gradient), and light noise.

    Parameters
    ----------
    strokes : sequence of np.ndarray
        Each (n, 2) float, x right and y down, in any units.
    rng : np.random.Generator
        Source of all randomness.
    canvas : int
        Side of the square output.

    Returns
    -------
    np.ndarray
        uint8 (canvas, canvas), values 0..255.
    """
    pts = np.concatenate(strokes).astype(np.float64)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = max(float((hi - lo).max()), 1e-6)
    size = rng.uniform(0.35, 0.85) * canvas
    width = max(1, round(rng.uniform(0.03, 0.12) * size))
    span = (hi - lo) / extent * size
    room = canvas - span - width - 2
    offset = np.array([rng.uniform(width / 2 + 1, width / 2 + 1 + max(r, 0)) for r in room])
    ink = np.zeros((canvas, canvas), np.uint8)
    shift = 4  # sub-pixel precision for anti-aliased drawing
    for stroke in strokes:
        p = np.round(((np.asarray(stroke, np.float64) - lo) / extent * size + offset) * (1 << shift)).astype(np.int32)
        if len(p) == 1 or np.ptp(p, axis=0).max() == 0:
            cv2.circle(ink, tuple(int(v) for v in p[0]), (width << shift) // 2, 255, -1, cv2.LINE_AA, shift)
        else:
            cv2.polylines(ink, [p], False, 255, width, cv2.LINE_AA, shift)
    return paint(ink, rng)


def paint(ink: np.ndarray, rng: np.random.Generator, light: bool | None = None) -> np.ndarray:
    """Put ink coverage on a canvas or on paper: either polarity, uneven paper lighting, light noise.

    Parameters
    ----------
    ink : np.ndarray
        uint8 HxW, how much of each pixel the ink covers (0..255).
    rng : np.random.Generator
        Source of all randomness.
    light : bool, optional
        Light ink on a dark canvas (True) or dark ink on paper (False); random when None.

    Returns
    -------
    np.ndarray
        uint8 HxW, values 0..255.
    """
    alpha = ink.astype(np.float32) / 255.0
    if light is None:
        light = bool(rng.random() < 0.5)
    if light:  # light ink on a dark canvas
        background = np.full(ink.shape, rng.uniform(0, 40), np.float32)
        ink_level = rng.uniform(180, 255)
    else:  # dark ink on paper, unevenly lit
        across, down = (np.linspace(-1, 1, n, dtype=np.float32) for n in (ink.shape[1], ink.shape[0]))
        gx, gy = rng.uniform(-25, 25, 2)
        background = rng.uniform(170, 250) + gx * across[None, :] + gy * down[:, None]
        ink_level = rng.uniform(0, 90)
    image = background * (1 - alpha) + ink_level * alpha
    image += rng.normal(0, rng.uniform(0, 5), image.shape).astype(np.float32)
    return np.clip(image, 0, 255).astype(np.uint8)


def _unit_height(strokes: Sequence[np.ndarray]) -> list[np.ndarray]:
    pts = np.concatenate(strokes).astype(np.float64)
    lo = pts.min(axis=0)
    height = max(float(np.ptp(pts[:, 1])), 0.25 * float(np.ptp(pts[:, 0])), 1e-6)
    return [(np.asarray(s, np.float64) - lo) / height for s in strokes]


def layout_row(
    chars: Sequence[Sequence[np.ndarray]], rng: np.random.Generator, gaps: tuple[float, float] | None = None
) -> list[np.ndarray]:
    """Put characters' strokes side by side as one person writes a row, in units of the character height.

    Each character is scaled to about the same height (0.85 to 1.1), the baseline wanders and
    one slant is shared. The gaps are drawn from ``gaps``; by default a third of the rows are
    written close (-0.08 to 0.15: neighbours touch or overlap a little), the others 0 to 0.6 apart.
    """
    out: list[np.ndarray] = []
    x, shear = 0.0, rng.uniform(-0.25, 0.25)
    if gaps is None:
        gaps = (-0.08, 0.15) if rng.random() < 0.3 else (0.0, 0.6)
    for strokes in chars:
        scale = rng.uniform(0.85, 1.1)
        placed = [s * scale for s in _unit_height(strokes)]
        width = max(float(np.concatenate(placed)[:, 0].max()), 0.05)
        dy = rng.normal(0, 0.06) + (1 - scale)
        out += [s + np.array([x, dy]) for s in placed]
        x += width + rng.uniform(*gaps)
    return [s + np.stack([-shear * s[:, 1], np.zeros(len(s))], 1) for s in out]


def restyle(
    strokes: Sequence[np.ndarray], rng: np.random.Generator, turn: float = 8.0, shear: float = 0.15, aspect: float = 0.2
) -> list[np.ndarray]:
    """One character written a little differently: turned, sheared, and narrower or wider, about its centre.

    Parameters
    ----------
    strokes : sequence of np.ndarray
        Each (n, 2) float, x right and y down.
    rng : np.random.Generator
        Source of all randomness.
    turn : float
        Largest turn, in degrees either way.
    shear : float
        Largest horizontal shift per unit of height, either way.
    aspect : float
        Largest change of width, as a log ratio: 0.2 is 0.82 to 1.22 times as wide.

    Returns
    -------
    list of np.ndarray
        The strokes moved, each (n, 2) float64.

    Examples
    --------
    >>> bar = [np.array([[0.0, 0.0], [0.0, 1.0]])]
    >>> [s.round(2).tolist() for s in restyle(bar, np.random.default_rng(0), turn=0, shear=0, aspect=0)]
    [[[0.0, 0.0], [0.0, 1.0]]]
    """
    strokes = [np.asarray(s, np.float64) for s in strokes]
    pts = np.concatenate(strokes)
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    angle = np.deg2rad(rng.uniform(-turn, turn))
    rotate = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    form = rotate @ np.array([[np.exp(rng.uniform(-aspect, aspect)), rng.uniform(-shear, shear)], [0.0, 1.0]])
    return [(s - centre) @ form.T + centre for s in strokes]


def continental(strokes: Sequence[np.ndarray], label: str, rng: np.random.Generator) -> list[np.ndarray]:
    """A 0, 1 or 7 as many people write it and the training writers seldom do.

    - A 0 with a slash through it, out of the ring at both ends: from below left to above right, or upright, or
      level. One line, where a 0 crossed out (a "none of these") has two or more.
    - A 1 with a flag and sometimes a base. Most flags slope down to the left; a fifth are nearly level (and short,
      or the 1 would be a 7), and a fifth reach most of the way down (some people write a 1 as a bare Λ).
    - A 7 with a bar.

    Other labels, and 1s that have a flag already (wider than a quarter of their height), come back unchanged.
    """
    strokes = [np.asarray(s, np.float64) for s in strokes]
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    width, height = hi - lo
    if height <= 0:
        return strokes
    if label == "0":
        middle = (lo + hi) / 2
        ends = [
            np.array([[lo[0], hi[1]], [hi[0], lo[1]]]),
            np.array([[middle[0], hi[1]], [middle[0], lo[1]]]),
            np.array([[lo[0], middle[1]], [hi[0], middle[1]]]),
        ][rng.choice(3, p=[0.5, 0.25, 0.25])]
        beyond = rng.uniform(0.05, 0.3, (2, 1))  # how far out of the ring each end reaches
        strokes.append(middle + (ends - middle) * (1 + beyond) + rng.normal(0, 0.03, (2, 2)) * height)
    elif label == "1" and width < 0.25 * height:
        top, bottom = pts[pts[:, 1].argmin()], pts[pts[:, 1].argmax()]
        way = rng.random()
        if way < 0.2:  # nearly level
            drop = rng.uniform(0.03, 0.2) * height
            flag = np.array([top, top + np.array([-rng.uniform(0.2, 0.4) * height, drop])])
        else:
            reach = rng.uniform(0.3, 0.5) * height if way < 0.8 else rng.uniform(0.55, 0.85) * height
            flag = np.array([top, top + np.array([-reach * rng.uniform(0.6, 1.0), reach])])
        strokes = [np.concatenate([flag[::-1], s]) if s is strokes[0] else s for s in strokes]
        if rng.random() < 0.4:
            half = rng.uniform(0.2, 0.35) * height
            strokes.append(bottom + np.array([[-half, 0.0], [half, 0.0]]))
    elif label == "7":
        middle = lo[1] + rng.uniform(0.45, 0.6) * height
        crossings = [  # where the strokes cross the middle; the stem is the rightmost
            a[0] + (b[0] - a[0]) * (middle - a[1]) / (b[1] - a[1])
            for s in strokes
            for a, b in pairwise(s)
            if (a[1] - middle) * (b[1] - middle) <= 0 and a[1] != b[1]
        ]
        if crossings:
            x = float(max(crossings))
            half = rng.uniform(0.15, 0.25) * height
            strokes.append(np.array([[x - half, middle], [x + half, middle]]))
    return strokes
