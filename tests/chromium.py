"""How the browser tests and the browser benchmark start Debian's Chromium and find the canvas."""

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
