"""Drawings that are none of an alphabet's characters, for the "none of these" class.

A recogniser trained only on its characters is sure of everything: a heart
reads as 0 at 100%. Each shipped CNN has one more output, "none of these",
trained on the drawings made here:

==============  ==============================================================
kind            what
==============  ==============================================================
scribble        a coil of loops moving along, or a pen wandering until it is a tangle
zigzag          back and forth, 5 to 12 segments (fewer would be an N, M or W)
hatching        4 to 9 parallel lines, sometimes crossed by a second set
spiral          2 to 4 turns, either way round
star            a five- to nine-pointed star, or an asterisk of 3 to 5 lines
blob            a filled irregular shape, never a thin sliver
inked           most of the canvas painted over
heart           one stroke, or two halves meeting at the point
triangle        apex up or down, closed (a triangle on its side is a rune's half)
square          a box, 1 to 4 strokes (not for runes: a box on its corner is ᛜ)
smiley          a face: a ring, two eyes and a smile
arrow           left or right (an arrow up is the rune ᛏ, down nearly ᛉ)
cloud           a ring of 5 to 9 bumps
crossed out     one of the alphabet's characters scratched out
partial         a 20-45% piece of a digit's pen path, never one that is a character
                itself (a line, one corner, a loop); only for digits: a piece of a
                letter or a rune is often another (C of O, L of E, < of X)
pair            two digits side by side, touching or nearly: one character at a time,
                so reading a row can tell a character from two stuck together (only
                for digits: two letters are often one, rn of m, vv of w)
foreign         a character of another alphabet that looks like none of this
                one's (:attr:`recognizer.alphabets.Alphabet.foreign`)
==============  ==============================================================

Shapes are drawn by :func:`draw`, with the same brushes, sizes, canvases and
paper as the characters (:mod:`recognizer.training.render`).
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from . import runes
from .render import CANVAS, layout_row, paint, render_strokes

__all__ = ["KINDS", "Negative", "draw", "make"]

Strokes = list[np.ndarray]
Negative = tuple[str, object]
"""``(kind, payload)``: the payload is the character's strokes for the kinds that start from one, else None."""

SHAPES = (
    "scribble",
    "zigzag",
    "hatching",
    "spiral",
    "star",
    "blob",
    "inked",
    "heart",
    "triangle",
    "square",
    "smiley",
    "arrow",
    "cloud",
)
FROM_CHARACTERS = ("crossed out", "partial", "pair", "foreign")
OWN = ("crossed out", "partial", "pair")
"""Kinds made from the alphabet's own characters."""
KINDS = SHAPES + FROM_CHARACTERS
INKED_BACKGROUND = 0.0
"""An inked canvas is the app's canvas (black, known background), where a person paints over everything."""


# --- shapes as pen strokes, in a unit box, y down ----------------------------------------------------------------


def _scribble(rng: np.random.Generator) -> Strokes:
    """A coil of 3 to 7 loops moving along (scratching), or a pen wandering and turning back on itself."""
    if rng.random() < 0.4:
        loops = rng.uniform(3, 7)
        t = np.linspace(0, loops * 2 * np.pi, int(loops * 24))
        x = t / (2 * np.pi) * rng.uniform(0.25, 0.6) + np.cos(t)
        y = np.sin(t) * rng.uniform(0.6, 1.5)
        p = np.stack([x, y], 1) + rng.normal(0, 0.04, (len(t), 2))
        return [_rotate(p, rng.uniform(-np.pi, np.pi))]
    for _ in range(20):  # a wavy line or a lone curve is a 1, a 2 or an S: wander until it is a tangle
        strokes = []
        for _ in range(rng.integers(1, 3)):
            n = int(rng.integers(100, 220))
            turn = np.cumsum(rng.normal(0, rng.uniform(0.35, 0.9), n))
            step = rng.uniform(0.03, 0.06)
            p = np.cumsum(np.stack([np.cos(turn), np.sin(turn)], 1) * step, axis=0)
            strokes.append(p - p.mean(axis=0))
        if _is_tangle(strokes):
            break
    return strokes


def _is_tangle(strokes: Strokes) -> bool:
    """Whether a path is long for the box it fills, and the box no thin strip."""
    pts = np.concatenate(strokes)
    span = np.ptp(pts, axis=0)
    length = sum(float(np.hypot(*np.diff(s, axis=0).T).sum()) for s in strokes)
    return bool(span.min() >= 0.4 * span.max() and length >= 4 * float(np.hypot(*span)))


def _zigzag(rng: np.random.Generator) -> Strokes:
    n = int(rng.integers(6, 14))
    x = np.linspace(0, 1, n) + rng.normal(0, 0.02, n)
    y = np.where(np.arange(n) % 2, 0.0, 1.0) * rng.uniform(0.3, 1.0) + rng.normal(0, 0.05, n)
    p = np.stack([x, y], 1)
    if rng.random() < 0.5:  # vertical zigzag
        p = p[:, ::-1]
    return [_rotate(p, rng.uniform(-0.4, 0.4))]


def _hatching(rng: np.random.Generator) -> Strokes:
    strokes = []
    sets = 1 if rng.random() < 0.6 else 2
    for s in range(sets):
        n = int(rng.integers(4, 10))
        angle = rng.uniform(0, np.pi) if s == 0 else strokes[0][1] + rng.uniform(0.6, 2.5)
        offsets = np.linspace(-0.5, 0.5, n) + rng.normal(0, 0.02, n)
        length = rng.uniform(0.6, 1.2)
        for o in offsets:
            a = np.array([o, -length / 2]) + rng.normal(0, 0.03, 2)
            b = np.array([o, length / 2]) + rng.normal(0, 0.03, 2)
            strokes.append((_rotate(np.stack([a, b]), angle), angle))
    return [s for s, _ in strokes]


def _spiral(rng: np.random.Generator) -> Strokes:
    turns = rng.uniform(2.0, 4.0)
    t = np.linspace(0, turns * 2 * np.pi, int(turns * 40))
    r = t / t[-1] + rng.normal(0, 0.01, len(t))
    direction = rng.choice([-1, 1])
    p = np.stack([r * np.cos(direction * t), r * np.sin(direction * t) * rng.uniform(0.7, 1.3)], 1)
    return [p[::-1] if rng.random() < 0.5 else p]


def _star(rng: np.random.Generator) -> Strokes:
    if rng.random() < 0.5:  # asterisk: lines through the centre
        n = int(rng.integers(3, 6))
        angles = np.arange(n) * np.pi / n + rng.uniform(0, np.pi) + rng.normal(0, 0.08, n)
        return [np.array([[-np.cos(a), -np.sin(a)], [np.cos(a), np.sin(a)]]) for a in angles]
    points = int(rng.integers(5, 10))
    angles = np.arange(2 * points + 1) * np.pi / points + rng.uniform(0, np.pi)
    radius = np.where(np.arange(2 * points + 1) % 2, rng.uniform(0.3, 0.55), 1.0)
    radius = radius * rng.uniform(0.9, 1.1, len(radius))
    return [np.stack([radius * np.cos(angles), radius * np.sin(angles)], 1)]


def _heart(rng: np.random.Generator) -> Strokes:
    """The classic heart curve, in one stroke from the dip or as two halves meeting at the point."""
    t = np.linspace(0, 2 * np.pi, 80)
    x = 16 * np.sin(t) ** 3 * rng.uniform(0.8, 1.2)
    y = -(13 * np.cos(t) - 5 * np.cos(2 * t) - rng.uniform(1, 3) * np.cos(3 * t) - np.cos(4 * t))
    p = np.stack([x, y], 1) / 16 + rng.normal(0, 0.015, (len(t), 2))
    p = _rotate(p, rng.uniform(-0.3, 0.3))
    if rng.random() < 0.5:
        return [p]
    return [p[:41], p[40:][::-1]]  # left half and right half, both from the dip down to the point


def _polygon(corners: np.ndarray, rng: np.random.Generator, strokes: int) -> Strokes:
    """A closed outline through ``corners`` (jittered), drawn in ``strokes`` pieces split at corners."""
    corners = corners + rng.normal(0, 0.04, corners.shape)
    start = int(rng.integers(len(corners)))
    ring = np.roll(corners, -start, axis=0)
    ring = np.concatenate([ring, ring[:1] + rng.normal(0, 0.03, 2)])
    cuts = np.sort(rng.choice(np.arange(1, len(corners)), strokes - 1, replace=False)) if strokes > 1 else []
    return [ring[a : b + 1] for a, b in zip([0, *cuts], [*cuts, len(corners)], strict=True)]


def _triangle(rng: np.random.Generator) -> Strokes:
    apex = rng.uniform(-0.2, 0.2)
    corners = np.array([[apex, -0.5], [0.5, 0.5], [-0.5, 0.5]]) * [rng.uniform(0.7, 1.3), 1]
    if rng.random() < 0.5:
        corners[:, 1] *= -1
    return _polygon(corners, rng, int(rng.integers(1, 3)))


def _square(rng: np.random.Generator) -> Strokes:
    corners = np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]) * [rng.uniform(0.7, 1.4), 1]
    return [_rotate(s, rng.uniform(-0.2, 0.2)) for s in _polygon(corners, rng, int(rng.integers(1, 5)))]


def _ring(rng: np.random.Generator, bumps: int = 0) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, 90) + rng.uniform(0, 2 * np.pi)
    r = 1 + (0.25 * np.abs(np.sin(bumps * (t - t[0]) / 2)) if bumps else 0)
    p = np.stack([np.cos(t) * r, np.sin(t) * r * rng.uniform(0.8, 1.2)], 1)
    return p + rng.normal(0, 0.015, p.shape)


def _smiley(rng: np.random.Generator) -> Strokes:
    eye = rng.uniform(0.3, 0.45)
    dot = rng.uniform(0.02, 0.1)
    eyes = [np.array([[x, -0.35 - dot], [x, -0.35 + dot]]) + rng.normal(0, 0.03, 2) for x in (-eye, eye)]
    t = np.linspace(0.15, 0.85, 20) * np.pi * rng.uniform(0.95, 1.05)
    mouth = np.stack([np.cos(t) * 0.5, np.sin(t) * rng.uniform(0.2, 0.45) + 0.15], 1)
    return [_ring(rng), *eyes, mouth]


def _arrow(rng: np.random.Generator) -> Strokes:
    head = rng.uniform(0.2, 0.4)
    spread = rng.uniform(0.3, 0.7)
    shaft = np.array([[-0.5, 0.0], [0.5, 0.0]])
    barbs = np.array([[0.5 - head, -head * spread * 1.5], [0.5, 0.0], [0.5 - head, head * spread * 1.5]])
    strokes = [shaft, barbs] if rng.random() < 0.6 else [shaft, barbs[:2], barbs[1:]]
    angle = rng.uniform(-0.35, 0.35) + (np.pi if rng.random() < 0.5 else 0.0)
    return [_rotate(s + rng.normal(0, 0.02, s.shape), angle) for s in strokes]


def _cloud(rng: np.random.Generator) -> Strokes:
    return [_ring(rng, bumps=int(rng.integers(5, 10)))]


def _rotate(p: np.ndarray, angle: float) -> np.ndarray:
    c, s = np.cos(angle), np.sin(angle)
    return p @ np.array([[c, s], [-s, c]])


# --- shapes from a character's strokes ---------------------------------------------------------------------------


def _crossed_out(strokes: Strokes, rng: np.random.Generator) -> Strokes:
    """The character with an X, a zigzag scratch or 3 to 5 strike-through lines over it."""
    pts = np.concatenate(strokes)
    centre = (pts.min(axis=0) + pts.max(axis=0)) / 2
    side = max(float(np.ptp(pts, axis=0).max()), 1e-6)  # a square: an X over an I must not make an X
    lo, span = centre - side / 2, np.array([side, side])
    way = rng.integers(3)
    if way == 0:
        marks = [np.array([[0, 0], [1, 1]]), np.array([[1, 0], [0, 1]])]
    elif way == 1:
        zig = _zigzag(rng)[0]
        marks = [(zig - zig.min(axis=0)) / np.maximum(np.ptp(zig, axis=0), 1e-6)]
    else:
        n = int(rng.integers(3, 6))
        marks = [np.array([[0, y], [1, y + rng.normal(0, 0.05)]]) for y in np.linspace(0.15, 0.85, n)]
    margin = rng.uniform(-0.1, 0.15)
    scratch = [lo - margin * span + (m + rng.normal(0, 0.03, m.shape)) * span * (1 + 2 * margin) for m in marks]
    return [*strokes, *scratch]


def _is_straight(pts: np.ndarray) -> bool:
    """Whether points lie close to one line (a straight piece reads as a 1, an I or an l)."""
    if len(pts) < 3:
        return True
    spread = np.linalg.svd(pts - pts.mean(axis=0), compute_uv=False)
    return bool(spread[1] < 0.2 * spread[0])


def _reads_as_a_character(piece: Strokes) -> bool:
    """Whether a piece of a character is one itself: a line (1), one corner (a 1 with a flag, a 7, an L), a loop (0)."""
    pts = np.concatenate(piece)
    extent = float(np.ptp(pts, axis=0).max())
    if _is_straight(pts) or extent <= 0:
        return True
    if len(piece) == 1:
        closed = np.hypot(*(pts[0] - pts[-1])) < 0.25 * extent
        corners = len(cv2.approxPolyDP(pts.astype(np.float32)[:, None], 0.08 * extent, False))
        return bool(closed or corners <= 3)
    return False


def _partial(strokes: Strokes, rng: np.random.Generator) -> Strokes | None:
    """A 20-45% piece of the pen path, or None when that piece reads as a character itself."""
    lengths = [np.r_[0, np.cumsum(np.hypot(*np.diff(s, axis=0).T))] for s in strokes]
    total = sum(float(length[-1]) for length in lengths)
    if total <= 0:
        return None
    keep = rng.uniform(0.2, 0.45) * total
    start = rng.uniform(0, total - keep)
    pieces, done = [], 0.0
    for s, length in zip(strokes, lengths, strict=True):
        inside = (length + done >= start) & (length + done <= start + keep)
        if inside.sum() >= 2:
            pieces.append(s[inside])
        done += float(length[-1])
    if not pieces or _reads_as_a_character(pieces):
        return None
    return pieces


# --- drawing -----------------------------------------------------------------------------------------------------


def _blob(rng: np.random.Generator, canvas: int) -> np.ndarray:
    """A filled shape at least half as wide as it is long (a thin sliver is a 1, an I or an l)."""
    for _ in range(20):
        n = int(rng.integers(6, 12))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radius = rng.uniform(0.55, 1.0, n) * rng.uniform(0.15, 0.4) * canvas
        centre = rng.uniform(0.35, 0.65, 2) * canvas
        p = centre + np.stack([radius * np.cos(angles), radius * np.sin(angles)], 1)
        (_, _), (w, h), _ = cv2.minAreaRect(p.astype(np.float32))
        if min(w, h) >= 0.5 * max(w, h):
            break
    ink = np.zeros((canvas, canvas), np.uint8)
    cv2.fillPoly(ink, [np.round(p * 16).astype(np.int32)], 255, cv2.LINE_AA, 4)
    if rng.random() < 0.5:  # rounder, like a thumb
        soft = cv2.GaussianBlur(ink, (0, 0), canvas * 0.03).astype(np.float32)
        ink = np.clip(soft * 2, 0, 255).astype(np.uint8)
    return ink


def _inked(rng: np.random.Generator, canvas: int) -> np.ndarray:
    """Most of the canvas painted with a wide brush, some gaps left."""
    ink = np.zeros((canvas, canvas), np.uint8)
    width = int(canvas * rng.uniform(0.12, 0.3))
    rows = np.arange(rng.uniform(0, width / 2), canvas, width * rng.uniform(0.7, 1.1))
    for y in rows:
        xs = np.sort(rng.uniform(-0.1, 1.1, 2)) * canvas if rng.random() < 0.2 else np.array([-0.05, 1.05]) * canvas
        line = np.array([[xs[0], y + rng.normal(0, width / 4)], [xs[1], y + rng.normal(0, width / 4)]])
        cv2.polylines(ink, [np.round(line * 16).astype(np.int32)], False, 255, width, cv2.LINE_AA, 4)
    return ink.T.copy() if rng.random() < 0.5 else ink


def draw(item: Negative, rng: np.random.Generator) -> tuple[np.ndarray, float | None]:
    """Draw one negative as a person would draw it: ``(uint8 image CANVASxCANVAS, known background or None)``.

    Parameters
    ----------
    item : Negative
        ``(kind, payload)`` from :func:`make`.
    rng : np.random.Generator
        Source of all randomness.
    """
    kind, payload = item
    if kind == "blob":
        return paint(_blob(rng, CANVAS), rng), None
    if kind == "inked":
        return paint(_inked(rng, CANVAS), rng, light=True), INKED_BACKGROUND
    shapes = {
        "scribble": _scribble,
        "zigzag": _zigzag,
        "hatching": _hatching,
        "spiral": _spiral,
        "star": _star,
        "heart": _heart,
        "triangle": _triangle,
        "square": _square,
        "smiley": _smiley,
        "arrow": _arrow,
        "cloud": _cloud,
    }
    if kind in shapes:
        return render_strokes(shapes[kind](rng), rng), None
    if kind == "foreign" and isinstance(payload, str):  # a rune, from its stroke templates
        return render_strokes(runes.sample_strokes(payload, rng), rng), None
    strokes = payload
    if kind == "pair":
        return render_strokes(layout_row(payload, rng, gaps=(-0.08, 0.12)), rng), None
    if kind == "crossed out":
        strokes = _crossed_out(payload, rng)
    elif kind == "partial":
        strokes = _partial(payload, rng) or _scribble(rng)
    return render_strokes(strokes, rng), None


WEIGHTS = {"foreign": 3.0, "pair": 2.0}
"""How many times as often as each shape these kinds come: other alphabets' characters are the hardest negatives,
and two digits stuck together the likeliest when a row is cut into characters."""


def make(
    count: int,
    rng: np.random.Generator,
    own: Sequence[Strokes] = (),
    foreign: Sequence[Strokes | str] = (),
    kinds: Sequence[str] = KINDS,
) -> list[Negative]:
    """``count`` negatives of the given kinds, each shape about equally often.

    Parameters
    ----------
    count : int
        How many.
    rng : np.random.Generator
        Chooses kinds and characters.
    own : sequence of stroke lists
        The alphabet's own characters, to cross out and to cut pieces from
        (empty: those kinds are left out).
    foreign : sequence of stroke lists or rune labels
        Characters of other alphabets that look like none of this one's
        (:attr:`recognizer.alphabets.Alphabet.foreign`; a rune label is drawn from its templates).
    kinds : sequence of str
        Which of :data:`KINDS` to make.

    Returns
    -------
    list of Negative
        ``(kind, payload)`` items for :func:`draw`.
    """
    kinds = [k for k in kinds if (k not in OWN or own) and (k != "foreign" or foreign)]
    if not kinds:
        return []
    weights = np.array([WEIGHTS.get(k, 1.0) for k in kinds])
    chosen = rng.choice(len(kinds), count, p=weights / weights.sum())
    items: list[Negative] = []
    for k in chosen:
        kind = kinds[k]
        payload = None
        if kind in ("crossed out", "partial"):
            payload = own[int(rng.integers(len(own)))]
        elif kind == "pair":
            payload = [own[int(i)] for i in rng.integers(len(own), size=2)]
        elif kind == "foreign":
            payload = foreign[int(rng.integers(len(foreign)))]
        items.append((kind, payload))
    return items
