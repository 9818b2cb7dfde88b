"""Deterministic synthetic drawings for tests: characters as pen strokes in a unit box (x right, y down)."""

from __future__ import annotations

import cv2
import numpy as np


def _arc(
    cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 24
) -> list[tuple[float, float]]:
    t = np.deg2rad(np.linspace(start, end, n))
    return [(cx + rx * np.cos(a), cy + ry * np.sin(a)) for a in t]


# Digits written the way people draw them on a canvas (angles in degrees, y down: 90 is the bottom).
DIGITS: dict[str, list[list[tuple[float, float]]]] = {
    "0": [_arc(0.5, 0.5, 0.3, 0.45, 0, 360, 40)],
    "1": [[(0.35, 0.25), (0.55, 0.05), (0.55, 0.95)]],
    "2": [[*_arc(0.5, 0.3, 0.3, 0.25, 200, 380), (0.2, 0.95), (0.85, 0.95)]],
    "3": [_arc(0.48, 0.27, 0.3, 0.22, 210, 450) + _arc(0.48, 0.72, 0.32, 0.23, 270, 510)],
    "4": [[(0.6, 0.05), (0.15, 0.65), (0.85, 0.65)], [(0.62, 0.35), (0.62, 0.95)]],
    "5": [[(0.8, 0.05), (0.3, 0.05), (0.25, 0.45), *_arc(0.5, 0.67, 0.32, 0.28, 230, 500)]],
    "6": [[(0.7, 0.05), (0.3, 0.5), *_arc(0.5, 0.7, 0.3, 0.25, 180, 540)]],
    "7": [[(0.15, 0.05), (0.85, 0.05), (0.4, 0.95)]],
    "8": [_arc(0.5, 0.27, 0.25, 0.22, 90, 450) + _arc(0.5, 0.72, 0.3, 0.23, -90, 270)],
    "9": [[*_arc(0.5, 0.3, 0.28, 0.25, 0, 360), (0.78, 0.3), (0.72, 0.95)]],
}


# Drawings that are no character of any alphabet: the models should say "none of these".
_STAR_ANGLES = np.deg2rad(np.arange(0, 721, 144) - 90)
NOT_CHARACTERS: dict[str, list[list[tuple[float, float]]]] = {
    "star": [[(0.5 + 0.45 * np.cos(a), 0.5 + 0.45 * np.sin(a)) for a in _STAR_ANGLES]],
    "heart": [[(0.5, 0.95), *_arc(0.3, 0.3, 0.2, 0.2, 160, 360), *_arc(0.7, 0.3, 0.2, 0.2, 180, 380), (0.5, 0.95)]],
    "spiral": [[(0.5 + t / 42 * np.cos(t), 0.5 + t / 42 * np.sin(t)) for t in np.linspace(0, 6 * np.pi, 90)]],
    "zigzag": [[(x, 0.3 if i % 2 else 0.7) for i, x in enumerate(np.linspace(0.05, 0.95, 9))]],
    "smiley": [
        _arc(0.5, 0.5, 0.45, 0.45, 0, 360, 48),
        [(0.35, 0.33), (0.35, 0.4)],
        [(0.65, 0.33), (0.65, 0.4)],
        _arc(0.5, 0.55, 0.25, 0.2, 20, 160),
    ],
    "arrow": [[(0.05, 0.5), (0.95, 0.5)], [(0.7, 0.3), (0.95, 0.5), (0.7, 0.7)]],
    "triangle": [[(0.5, 0.1), (0.9, 0.85), (0.1, 0.85), (0.5, 0.1)]],
}


def draw(
    strokes: list[list[tuple[float, float]]],
    size: int = 280,
    width: int = 18,
    scale: float = 0.7,
    offset: tuple[float, float] = (0.0, 0.0),
) -> np.ndarray:
    """Draw strokes white on black into a uint8 (size, size) image.

    The unit box is scaled to ``scale * size`` and centred, then moved by
    ``offset`` (fractions of the image).
    """
    image = np.zeros((size, size), np.uint8)
    shift = 4
    for stroke in strokes:
        p = (np.asarray(stroke) - 0.5) * scale * size + size / 2 + np.asarray(offset) * size
        cv2.polylines(image, [np.round(p * (1 << shift)).astype(np.int32)], False, 255, width, cv2.LINE_AA, shift)
    return image


# A 5 in two strokes, its bar apart, as many people write it: two pieces of ink, one character.
FIVE_IN_TWO_STROKES = [DIGITS["5"][0][1:], [(0.32, 0.05), (0.8, 0.05)]]


def row(characters: list, step: float = 0.85, height: int = 120, width: int = 12) -> np.ndarray:
    """Characters (stroke lists in a unit box) side by side, white on black, ``step`` character heights apart.

    Digits are 0.6 to 0.7 heights wide: a step of 0.65 makes neighbours touch, less makes them overlap.
    """
    margin = 0.3 * height
    length = ((len(characters) - 1) * step + 1) * height
    image = np.zeros((int(height + 2 * margin), int(length + 2 * margin)), np.uint8)
    shift = 4
    for i, strokes in enumerate(characters):
        for stroke in strokes:
            p = (np.asarray(stroke) + np.array([i * step, 0])) * height + margin
            cv2.polylines(image, [np.round(p * (1 << shift)).astype(np.int32)], False, 255, width, cv2.LINE_AA, shift)
    return image


def digit(label: str, **kwargs) -> np.ndarray:
    """A clearly drawn digit, white on black; keyword arguments as for :func:`draw`."""
    return draw(DIGITS[label], **kwargs)


def noisy_photo(ink: np.ndarray, seed: int = 0) -> np.ndarray:
    """Dark ink from a white-on-black drawing on unevenly lit grey paper, with noise and JPEG artefacts."""
    rng = np.random.default_rng(seed)
    h, w = ink.shape
    alpha = ink.astype(np.float32) / 255.0
    paper = 110 + 110 * np.linspace(0, 1, w, dtype=np.float32)[None, :] + 20 * np.linspace(-1, 1, h)[:, None]
    photo = paper * (1 - alpha) + 35 * alpha + rng.normal(0, 5, ink.shape)
    _, buf = cv2.imencode(".jpg", np.clip(photo, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 60])
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


def rgba_on_transparent(ink: np.ndarray, rgb: tuple[int, int, int] = (0, 0, 0)) -> np.ndarray:
    """Ink of colour ``rgb`` whose coverage is the alpha channel, on a fully transparent background."""
    out = np.zeros((*ink.shape, 4), np.uint8)
    out[..., :3] = rgb
    out[..., 3] = ink
    return out
