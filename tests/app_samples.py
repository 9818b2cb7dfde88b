"""One character per alphabet for the app tests, as pen strokes in a unit box (x right, y down).

The AppTest tests rasterise them as the canvas would send them; the browser
tests draw them with the mouse.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest
from drawing import DIGITS, draw

from recognizer.alphabets import ALPHABETS
from recognizer.runes import TEMPLATES

Strokes = list[list[tuple[float, float]]]

CANVAS_SIZE = 280
PEN = 20
SCALE = 0.7  # the character fills 70 % of the canvas, centred

# alphabet -> (expected label, strokes)
SAMPLES: dict[str, tuple[str, Strokes]] = {
    "digits": ("7", DIGITS["7"]),
    "letters": ("L", [[(0.2, 0.05), (0.2, 0.95), (0.8, 0.95)]]),
    "runes": ("ᛏ", [[(float(x), float(y)) for x, y in stroke] for stroke in TEMPLATES["ᛏ"][0]]),
}


def model_file(alphabet: str):
    """The shipped default model file of an alphabet."""
    return ALPHABETS[alphabet].model_path()


def needs_model(alphabet: str) -> pytest.MarkDecorator:
    """Skip a test, saying why, while the alphabet's shipped model is not trained yet."""
    path = model_file(alphabet)
    return pytest.mark.skipif(not path.is_file(), reason=f"{path} not trained yet")


def canvas_rgba(strokes: Strokes) -> np.ndarray:
    """The drawing as the canvas sends it: 280x280 RGBA, white ink on an opaque black background."""
    ink = draw(strokes, size=CANVAS_SIZE, width=PEN, scale=SCALE)
    return np.dstack([ink] * 3 + [np.full(ink.shape, 255, np.uint8)])


def png_bytes(image: np.ndarray) -> bytes:
    """PNG file bytes of a grey, RGB or RGBA uint8 image."""
    if image.ndim == 3:
        image = cv2.cvtColor(image, cv2.COLOR_RGBA2BGRA if image.shape[2] == 4 else cv2.COLOR_RGB2BGR)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def canvas_state(strokes: Strokes) -> dict:
    """The canvas component's session-state value after drawing ``strokes`` (as its frontend sends it)."""
    return drawing_state(canvas_rgba(strokes))


def drawing_state(rgba: np.ndarray) -> dict:
    """The canvas component's session-state value when its picture is ``rgba`` (as its frontend sends it)."""
    url = "data:image/png;base64," + base64.b64encode(png_bytes(rgba)).decode("ascii")
    return {"drawing": {"raw": {"objects": []}, "data": url}, "backgroundFit": None}


def to_canvas(strokes: Strokes) -> list[list[tuple[float, float]]]:
    """Strokes in canvas fractions (0..1 of the canvas side), placed as :func:`canvas_rgba` places them."""
    return [[(0.5 + (x - 0.5) * SCALE, 0.5 + (y - 0.5) * SCALE) for x, y in stroke] for stroke in strokes]
