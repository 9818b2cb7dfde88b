"""Synthetic handwritten runes: template variations drawn the way a hand distorts them, and font renderings.

There is no large public dataset of handwritten runes, so training images are
synthesised from two sources:

* the stroke templates of :mod:`recognizer.runes`, distorted the way a hand
  distorts them (:func:`sample_strokes`), to be rasterised by
  :func:`recognizer.training.render.render_strokes`;
* rune-bearing fonts (:func:`render_font_glyph`).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..runes import Stroke, variants

__all__ = ["font_has_glyph", "render_font_glyph", "sample_strokes"]

# Distortion ranges of sample_strokes, in unit-box units or degrees.
_JITTER = 0.015  # std of per-vertex jitter
_END_CHANGE = 0.1  # max extension/shortening of a stroke end, fraction of its end segment
_MISS_PROB, _MISS = 0.3, 0.03  # chance and std of an end missing its join sideways
_WOBBLE_PROB, _WOBBLE = 0.75, 0.02  # chance and max amplitude of a smooth wobble
_SEGMENT = 0.08  # subdivision length for the wobble
_SLANT_DEG, _ROTATE_DEG = 15.0, 10.0
_ASPECT = (0.7, 1.3)
_SCALE = (0.85, 1.0)


def _jitter(stroke: Stroke, rng: np.random.Generator) -> Stroke:
    """Move every vertex by a small Gaussian offset (std :data:`_JITTER`)."""
    return stroke + rng.normal(0.0, _JITTER, stroke.shape)


def _change_ends(stroke: Stroke, rng: np.random.Generator) -> Stroke:
    """Extend or shorten both ends along their segment, sometimes miss sideways.

    Parameters
    ----------
    stroke : ndarray, shape (n, 2), n >= 2

    Returns
    -------
    ndarray, shape (n, 2), float64
        A copy with the first and last points moved.
    """
    out = np.array(stroke, dtype=np.float64)
    for end, inner in ((0, 1), (-1, -2)):
        direction = out[end] - out[inner]
        length = float(np.hypot(*direction))
        if length < 1e-6:
            continue
        unit = direction / length
        out[end] += unit * length * rng.uniform(-_END_CHANGE, _END_CHANGE)
        if rng.random() < _MISS_PROB:
            out[end] += np.array([-unit[1], unit[0]]) * rng.normal(0.0, _MISS)
    return out


def _subdivide(stroke: Stroke, step: float = _SEGMENT) -> Stroke:
    """Insert points so no segment is longer than ``step``; the polyline keeps its shape."""
    pieces = [stroke[:1]]
    for a, b in pairwise(stroke):
        n = max(1, int(np.ceil(np.hypot(*(b - a)) / step)))
        t = np.arange(1, n + 1)[:, None] / n
        pieces.append(a + t * (b - a))
    return np.concatenate(pieces)


def _wobble(strokes: list[Stroke], rng: np.random.Generator) -> list[Stroke]:
    """Bend all strokes with one smooth random displacement field.

    The field is ``dx = a sin(2 pi f y + phase)``, ``dy = b sin(2 pi g x + phase')``
    with amplitudes up to :data:`_WOBBLE` and about one cycle per unit, so lines
    curve gently and joins stay joined.
    """
    ax, ay = rng.uniform(0.0, _WOBBLE, 2)
    fx, fy = rng.uniform(0.5, 1.5, 2)
    px, py = rng.uniform(0.0, 2 * np.pi, 2)
    out = []
    for s in strokes:
        s = _subdivide(s)
        dx = ax * np.sin(2 * np.pi * fx * s[:, 1] + px)
        dy = ay * np.sin(2 * np.pi * fy * s[:, 0] + py)
        out.append(s + np.stack([dx, dy], axis=1))
    return out


def _random_affine(rng: np.random.Generator) -> np.ndarray:
    """A 2x2 matrix: non-uniform scale, then slant (shear), then rotation.

    Returns
    -------
    ndarray, shape (2, 2), float64
        Acts on column vectors ``(x, y)`` relative to the box centre.
    """
    aspect = rng.uniform(*_ASPECT)
    scale = rng.uniform(*_SCALE)
    sx, sy = scale * np.sqrt(aspect), scale / np.sqrt(aspect)
    slant = np.tan(np.radians(rng.uniform(-_SLANT_DEG, _SLANT_DEG)))
    angle = np.radians(rng.uniform(-_ROTATE_DEG, _ROTATE_DEG))
    c, s = np.cos(angle), np.sin(angle)
    rotate = np.array([[c, -s], [s, c]])
    shear = np.array([[1.0, -slant], [0.0, 1.0]])  # y down: positive slant leans the top right
    return rotate @ shear @ np.diag([sx, sy])


def sample_strokes(label: str, rng: np.random.Generator) -> list[np.ndarray]:
    """Draw one "hand-drawn" instance of a rune.

    A random variant of the template is distorted: per-vertex jitter, stroke
    ends extended or shortened by up to 10 % (so joins overshoot or miss),
    optionally a smooth wobble, then a random non-uniform scale (aspect
    0.7-1.3), slant (+-15 deg) and rotation (+-10 deg) about the box centre.
    Each stroke may also be drawn in the opposite direction.

    Parameters
    ----------
    label : str
        A rune glyph from ``ALPHABETS["runes"].labels``.
    rng : numpy.random.Generator
        Source of randomness; the same seed gives the same strokes.

    Returns
    -------
    list of ndarray, each shape (n, 2), float32
        Pen-down polylines of ``(x, y)`` points, y down, roughly within the unit
        box (not normalised; points may stray a little outside it).

    Raises
    ------
    ValueError
        If ``label`` is not an Elder Futhark rune.
    """
    options = variants(label)
    variant = options[int(rng.integers(len(options)))]
    strokes = [_change_ends(_jitter(s, rng), rng) for s in variant]
    if rng.random() < _WOBBLE_PROB:
        strokes = _wobble(strokes, rng)
    matrix = _random_affine(rng)
    centre = np.array([0.5, 0.5])
    out = []
    for s in strokes:
        s = (s - centre) @ matrix.T + centre
        if rng.random() < 0.5:
            s = s[::-1]
        out.append(np.ascontiguousarray(s, dtype=np.float32))
    return out


# ---------------------------------------------------------------------- fonts

_FONT_PX = 128  # size fonts are rasterised at before scaling
_MISSING = "\U0010fffd"  # a private-use code point no font maps: renders the font's .notdef glyph


@lru_cache(maxsize=16)
def _font(path: str) -> ImageFont.FreeTypeFont:
    """Load a font file at :data:`_FONT_PX` pixels (cached)."""
    return ImageFont.truetype(path, _FONT_PX, layout_engine=ImageFont.Layout.BASIC)


@lru_cache(maxsize=512)
def _glyph_ink(path: str, char: str) -> np.ndarray:
    """Rasterise ``char`` at :data:`_FONT_PX` pixels and crop to its ink.

    Returns
    -------
    ndarray, shape (h, w), uint8, read-only
        Anti-aliased coverage (0-255); shape ``(0, 0)`` if nothing is drawn.
    """
    font = _font(path)
    left, top, right, bottom = font.getbbox(char)
    pad = 4
    canvas = Image.new("L", (right - left + 2 * pad, bottom - top + 2 * pad), 0)
    ImageDraw.Draw(canvas).text((pad - left, pad - top), char, font=font, fill=255)
    arr = np.asarray(canvas)
    rows, cols = np.flatnonzero(arr.any(axis=1)), np.flatnonzero(arr.any(axis=0))
    ink = arr[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1].copy() if rows.size else np.zeros((0, 0), np.uint8)
    ink.flags.writeable = False
    return ink


def font_has_glyph(font_path: str | Path, char: str) -> bool:
    """Whether a font draws ``char`` as something other than blank or its .notdef box.

    Parameters
    ----------
    font_path : str or Path
        A TrueType/OpenType font file.
    char : str
        The text to test, normally one character.

    Raises
    ------
    OSError
        If the font file cannot be read.
    """
    path = str(font_path)
    ink = _glyph_ink(path, char)
    if ink.size == 0:
        return False
    missing = _glyph_ink(path, _MISSING)
    return not (ink.shape == missing.shape and np.array_equal(ink, missing))


def render_font_glyph(label: str, font_path: str | Path, size: int, rng: np.random.Generator) -> np.ndarray:
    """Render a rune from a font at a random scale and position.

    The glyph's ink is scaled (keeping its aspect ratio) to 50-80 % of the image
    height, less if it would be wider than 90 % of the image, and placed at a
    random position fully inside the image.

    Parameters
    ----------
    label : str
        A rune glyph from ``ALPHABETS["runes"].labels``.
    font_path : str or Path
        A TrueType/OpenType font containing the rune.
    size : int
        Image side in pixels.
    rng : numpy.random.Generator
        Chooses scale and position.

    Returns
    -------
    ndarray, shape (size, size), uint8
        Anti-aliased white glyph (255) on black (0).

    Raises
    ------
    ValueError
        If ``label`` is not an Elder Futhark rune or the font lacks the glyph.
    OSError
        If the font file cannot be read.
    """
    variants(label)
    if not font_has_glyph(font_path, label):
        raise ValueError(f"font {Path(font_path).name!r} has no glyph for {label!r}")
    ink = _glyph_ink(str(font_path), label)
    ink_h, ink_w = ink.shape
    scale = rng.uniform(0.5, 0.8) * size / ink_h
    scale = min(scale, 0.9 * size / ink_w)
    h, w = max(1, round(ink_h * scale)), max(1, round(ink_w * scale))
    glyph = cv2.resize(ink, (w, h), interpolation=cv2.INTER_AREA)
    y, x = int(rng.integers(0, size - h + 1)), int(rng.integers(0, size - w + 1))
    image = np.zeros((size, size), np.uint8)
    image[y : y + h, x : x + w] = glyph
    return image
