"""Elder Futhark rune shapes: a stroke template of every rune and its clean drawing for the rune chart.

Coordinates of strokes are ``(x, y)`` in a unit box ``[0, 1] x [0, 1]`` with
``y`` pointing down, like image coordinates. A stroke is one pen-down polyline,
an ``(n, 2)`` float32 array. Images are ``uint8`` with a white glyph (255) on
black (0), the convention of the rest of the recognizer. Training draws
hand-made variations of these templates (:mod:`recognizer.training.runes`).

The labels (Unicode glyphs, futhark order) come from
``recognizer.alphabets.ALPHABETS["runes"]``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .alphabets import ALPHABETS

__all__ = ["TEMPLATES", "Stroke", "template_image", "variants"]

_RUNES = ALPHABETS["runes"]

Stroke = np.ndarray
"""One pen-down polyline: ``(n, 2)`` float32 ``(x, y)`` points, ``n >= 2``."""

# Rune name -> variants; a variant is a list of strokes, a stroke a list of (x, y)
# points in the unit box, y down. Most runes are a staff (vertical line) with
# branches; the staff is usually drawn first, top to bottom. Stroke order and
# direction do not make a new variant: they do not change the raster.
_STAFF_L = [(0.3, 0.0), (0.3, 1.0)]  # staff of runes whose branches go to the right
_STAFF_C = [(0.5, 0.0), (0.5, 1.0)]  # centred staff
_RING = [(0.5 + 0.3 * math.sin(a), 0.5 - 0.3 * math.cos(a)) for a in np.linspace(0, 2 * math.pi, 13)]
_RAW_TEMPLATES: dict[str, list[list[list[tuple[float, float]]]]] = {
    "fehu": [  # ᚠ staff, two branches rising to the right
        [_STAFF_L, [(0.3, 0.3), (0.75, 0.0)], [(0.3, 0.6), (0.75, 0.3)]],
        [_STAFF_L, [(0.3, 0.35), (0.7, 0.05)], [(0.3, 0.6), (0.8, 0.25)]],  # lower branch longer
    ],
    "uruz": [  # ᚢ staff, diagonal down to a shorter right leg
        [[(0.25, 1.0), (0.25, 0.0), (0.75, 0.35), (0.75, 1.0)]],
        [[(0.25, 1.0), (0.25, 0.0), (0.55, 0.04), (0.7, 0.15), (0.75, 0.35), (0.75, 1.0)]],  # rounded shoulder
        [[(0.25, 1.0), (0.3, 0.0), (0.75, 1.0)]],  # narrow inverted V with a straight left leg
    ],
    "thurisaz": [  # ᚦ staff with a pointed bump
        [_STAFF_L, [(0.3, 0.25), (0.7, 0.5), (0.3, 0.75)]],
        [_STAFF_L, [(0.3, 0.25), (0.55, 0.3), (0.7, 0.5), (0.55, 0.7), (0.3, 0.75)]],  # rounded bump
    ],
    "ansuz": [  # ᚨ staff, two branches falling to the right from the top
        [_STAFF_L, [(0.3, 0.0), (0.7, 0.3)], [(0.3, 0.3), (0.7, 0.6)]],
        [_STAFF_L, [(0.3, 0.05), (0.75, 0.35)], [(0.3, 0.35), (0.75, 0.65)]],
    ],
    "raido": [  # ᚱ staff, pointed bowl and a leg
        [_STAFF_L, [(0.3, 0.0), (0.75, 0.25), (0.3, 0.5), (0.75, 1.0)]],
        [[(0.3, 1.0), (0.3, 0.0), (0.6, 0.08), (0.75, 0.25), (0.6, 0.42), (0.3, 0.5), (0.75, 1.0)]],  # round bowl
        # Open bowl: a quick hand turns into the leg before reaching the staff again (also Noto Sans Runic's form).
        [_STAFF_L, [(0.3, 0.0), (0.6, 0.06), (0.72, 0.22), (0.62, 0.4), (0.45, 0.5), (0.75, 1.0)]],
    ],
    "kaunan": [  # ᚲ
        [[(0.7, 0.2), (0.3, 0.5), (0.7, 0.8)]],  # "<"
        [[(0.65, 0.0), (0.35, 0.25), (0.65, 0.5)]],  # small "<" high up
        [_STAFF_L, [(0.3, 0.4), (0.7, 0.05)]],  # small hook high on a staff (ᚴ)
    ],
    "gebo": [  # ᚷ X
        [[(0.15, 0.0), (0.85, 1.0)], [(0.85, 0.0), (0.15, 1.0)]],
    ],
    "wunjo": [  # ᚹ staff with a flag at the top
        [_STAFF_L, [(0.3, 0.0), (0.7, 0.25), (0.3, 0.5)]],
        [_STAFF_L, [(0.3, 0.0), (0.55, 0.05), (0.7, 0.22), (0.55, 0.4), (0.3, 0.45)]],  # rounded flag
    ],
    "hagalaz": [  # ᚺ two staves, falling bar(s)
        [[(0.25, 0.0), (0.25, 1.0)], [(0.75, 0.0), (0.75, 1.0)], [(0.25, 0.35), (0.75, 0.65)]],
        [
            [(0.25, 0.0), (0.25, 1.0)],
            [(0.75, 0.0), (0.75, 1.0)],
            [(0.25, 0.3), (0.75, 0.5)],
            [(0.25, 0.5), (0.75, 0.7)],
        ],
    ],
    "naudiz": [  # ᚾ staff crossed by a slanted bar
        [_STAFF_C, [(0.2, 0.35), (0.8, 0.6)]],
        [_STAFF_C, [(0.2, 0.6), (0.8, 0.35)]],  # bar slanting the other way (also attested)
    ],
    "isaz": [  # ᛁ
        [_STAFF_C],
    ],
    "jera": [  # ᛃ two interlocking hooks: "<" upper left, ">" lower right, inner arms parallel
        [[(0.55, 0.05), (0.25, 0.35), (0.55, 0.65)], [(0.45, 0.35), (0.75, 0.65), (0.45, 0.95)]],
        [  # rounded hooks
            [(0.6, 0.05), (0.4, 0.12), (0.27, 0.3), (0.35, 0.5), (0.55, 0.6)],
            [(0.45, 0.4), (0.65, 0.5), (0.73, 0.7), (0.6, 0.88), (0.4, 0.95)],
        ],
        [_STAFF_C, [(0.4, 0.05), (0.15, 0.3), (0.4, 0.55)], [(0.6, 0.45), (0.85, 0.7), (0.6, 0.95)]],  # staff between
    ],
    "eihwaz": [  # ᛇ staff, hook down-right at the top and up-left at the bottom
        [[(0.8, 0.2), (0.5, 0.0), (0.5, 1.0), (0.2, 0.8)]],
        [[(0.2, 0.2), (0.5, 0.0), (0.5, 1.0), (0.8, 0.8)]],  # mirrored hooks
    ],
    "perthro": [  # ᛈ staff with cups opening right at both ends
        [_STAFF_L, [(0.3, 0.0), (0.55, 0.25), (0.75, 0.0)], [(0.3, 1.0), (0.55, 0.75), (0.75, 1.0)]],
    ],
    "algiz": [  # ᛉ staff, two branches rising from the middle
        [_STAFF_C, [(0.5, 0.45), (0.2, 0.1)], [(0.5, 0.45), (0.8, 0.1)]],
        [[(0.2, 0.0), (0.5, 0.45), (0.8, 0.0)], [(0.5, 0.45), (0.5, 1.0)]],  # Y without the staff top
    ],
    "sowilo": [  # ᛊ
        [[(0.7, 0.0), (0.3, 0.25), (0.7, 0.5), (0.3, 0.75), (0.7, 1.0)]],  # four-segment zigzag
        [[(0.7, 0.0), (0.3, 0.2), (0.7, 0.4), (0.3, 0.6), (0.7, 0.8), (0.3, 1.0)]],  # longer zigzag
        [[(0.3, 0.0), (0.3, 0.6), (0.7, 0.4), (0.7, 1.0)]],  # lightning, upright (ᛋ)
        [[(0.65, 0.0), (0.3, 0.55), (0.7, 0.45), (0.35, 1.0)]],  # lightning, slanted
    ],
    "tiwaz": [  # ᛏ arrow up
        [_STAFF_C, [(0.2, 0.35), (0.5, 0.0), (0.8, 0.35)]],
    ],
    "berkanan": [  # ᛒ staff with two pointed bumps
        [_STAFF_L, [(0.3, 0.0), (0.7, 0.25), (0.3, 0.5), (0.7, 0.75), (0.3, 1.0)]],
        [_STAFF_L, [(0.3, 0.0), (0.6, 0.08), (0.65, 0.3), (0.3, 0.5), (0.7, 0.65), (0.65, 0.9), (0.3, 1.0)]],  # round
    ],
    "ehwaz": [  # ᛖ two staves joined by a V at the top
        [[(0.2, 1.0), (0.2, 0.0), (0.5, 0.3), (0.8, 0.0), (0.8, 1.0)]],
    ],
    "mannaz": [  # ᛗ two staves crossed by an X in the upper half
        [[(0.2, 0.0), (0.2, 1.0)], [(0.8, 0.0), (0.8, 1.0)], [(0.2, 0.0), (0.8, 0.5)], [(0.8, 0.0), (0.2, 0.5)]],
    ],
    "laguz": [  # ᛚ staff, branch falling to the right from the top
        [[(0.35, 1.0), (0.35, 0.0), (0.7, 0.3)]],
    ],
    "ingwaz": [  # ᛜ
        [[(0.5, 0.2), (0.8, 0.5), (0.5, 0.8), (0.2, 0.5), (0.5, 0.2)]],  # diamond
        [[(0.5, 0.0), (0.8, 0.5), (0.5, 1.0), (0.2, 0.5), (0.5, 0.0)]],  # tall diamond
        [[(0.2, 0.0), (0.8, 0.5), (0.2, 1.0)], [(0.8, 0.0), (0.2, 0.5), (0.8, 1.0)]],  # crossed lines (ᛝ)
        [_RING],  # rounded, as some fonts and hands draw it
    ],
    "dagaz": [  # ᛞ bow tie
        [
            [(0.15, 0.0), (0.15, 1.0)],
            [(0.85, 0.0), (0.85, 1.0)],
            [(0.15, 0.0), (0.85, 1.0)],
            [(0.85, 0.0), (0.15, 1.0)],
        ],
        [[(0.15, 1.0), (0.15, 0.0), (0.85, 1.0), (0.85, 0.0), (0.15, 1.0)]],  # one stroke
    ],
    "othala": [  # ᛟ diamond on two legs
        [[(0.5, 0.0), (0.18, 0.32), (0.86, 1.0)], [(0.5, 0.0), (0.82, 0.32), (0.14, 1.0)]],
    ],
}


def _as_arrays(variants: list[list[list[tuple[float, float]]]]) -> tuple[tuple[Stroke, ...], ...]:
    """Convert one rune's literal variants to read-only ``(n, 2)`` float32 arrays."""
    out = []
    for variant in variants:
        strokes = []
        for points in variant:
            arr = np.array(points, dtype=np.float32).reshape(-1, 2)
            arr.flags.writeable = False
            strokes.append(arr)
        out.append(tuple(strokes))
    return tuple(out)


TEMPLATES: dict[str, tuple[tuple[Stroke, ...], ...]] = {
    glyph: _as_arrays(_RAW_TEMPLATES[name]) for glyph, name in zip(_RUNES.labels, _RUNES.names, strict=True)
}
"""Rune glyph -> variants -> strokes; each stroke ``(n, 2)`` float32 in ``[0, 1]^2``, y down.

The first variant is the canonical shape (see :func:`template_image`).
Arrays are read-only; copy before modifying.
"""


def variants(label: str) -> tuple[tuple[Stroke, ...], ...]:
    """Template variants of ``label``, or ValueError naming the alphabet."""
    try:
        return TEMPLATES[label]
    except (KeyError, TypeError):
        raise ValueError(
            f"unknown rune {label!r}; expected one of the {_RUNES.title}: {' '.join(_RUNES.labels)}"
        ) from None


def _polylines(strokes: list[np.ndarray] | tuple[np.ndarray, ...], size: int, width: float) -> np.ndarray:
    """Draw unit-box strokes anti-aliased into a ``size x size`` uint8 image (white on black).

    The unit box maps to the image minus a margin of ``max(width, size / 10)``.
    """
    shift = 4  # sub-pixel bits of cv2 drawing
    thickness = max(1, round(width))
    margin = max(width, size / 10)
    image = np.zeros((size, size), np.uint8)
    scale = (size - 1 - 2 * margin) * (1 << shift)
    pts = [np.round((np.asarray(s, np.float64) * scale) + margin * (1 << shift)).astype(np.int32) for s in strokes]
    cv2.polylines(image, pts, isClosed=False, color=255, thickness=thickness, lineType=cv2.LINE_AA, shift=shift)
    return image


def template_image(label: str, size: int = 64, width: float = 3.0) -> np.ndarray:
    """Draw the canonical (first) variant of a rune cleanly, without distortion.

    Parameters
    ----------
    label : str
        A rune glyph from ``ALPHABETS["runes"].labels``.
    size : int
        Image side in pixels.
    width : float
        Line width in pixels (rounded to a whole number, at least 1).

    Returns
    -------
    ndarray, shape (size, size), uint8
        White (255) anti-aliased lines on black (0); the unit box fills the
        image minus a margin of ``max(width, size / 10)``.

    Raises
    ------
    ValueError
        If ``label`` is not an Elder Futhark rune.
    """
    return _polylines(variants(label)[0], size, width)
