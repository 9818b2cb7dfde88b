"""Debian's Chromium for the browser tests and the browser benchmark: how to start it, and how to draw on the canvas."""

from __future__ import annotations

from itertools import pairwise

from playwright.sync_api import Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CANVAS_HOST = '[data-testid="stBidiComponentIsolated"]'
"""The canvas component's shadow-root host (Components v2, no iframe)."""
CANVAS = f"{CANVAS_HOST} canvas.upper-canvas"
"""The layer of the Fabric.js canvas that takes mouse and touch input."""

Stroke = list[tuple[float, float]]
"""One pen-down polyline in canvas fractions: (0, 0) top left, (1, 1) bottom right."""


def pen_path(box: dict, stroke: Stroke, per_segment: int = 10) -> list[tuple[float, float]]:
    """A stroke as page coordinates on the canvas at ``box``, with points in between like a real pen."""
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in stroke]
    out = [xy[0]]
    for (x0, y0), (x1, y1) in pairwise(xy):
        out += [(x0 + (x1 - x0) * i / per_segment, y0 + (y1 - y0) * i / per_segment) for i in range(1, per_segment + 1)]
    return out


def draw(page: Page, strokes: list[Stroke], touch: bool = False, lift_last: bool = True) -> None:
    """Draw strokes on the page's canvas with the mouse, or with a finger as a phone's touchscreen sends them.

    With ``lift_last=False`` (mouse only) the pen stays down at the end of the
    last stroke, so that the caller lifts it (``page.mouse.up()``) and can time from there.
    """
    box = page.locator(CANVAS).bounding_box()
    assert box is not None, "the canvas is not on the page"
    cdp = page.context.new_cdp_session(page) if touch else None
    for n, stroke in enumerate(strokes, start=1):
        path = pen_path(box, stroke)
        if cdp is not None:
            cdp.send(
                "Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": path[0][0], "y": path[0][1]}]}
            )
            for x, y in path[1:]:
                cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
            continue
        page.mouse.move(*path[0])
        page.mouse.down()
        for x, y in path[1:]:
            page.mouse.move(x, y)
        if lift_last or n < len(strokes):
            page.mouse.up()
