"""Browser round trip of the Draw page: from the end of a stroke to updated predictions and heatmaps.

Starts ``streamlit run app.py`` (or uses ``--url``), opens the page in headless
Chromium, then repeatedly clears the canvas, draws one stroke with the mouse and
measures, from the mouse-up:

* prediction: the "Prediction" metric shows a label (the stroke's result is on screen);
* everything: also every preprocessing step and every layer's heatmap is shown (images decoded).

It prints the cold start (server start to a canvas that takes strokes, and to the
first stroke's result) and the median and p95 of both round trips. Not part of pytest::

    python bench/bench_browser.py --strokes 30
    python bench/bench_browser.py --show-all            # all feature maps of every layer
    python bench/bench_browser.py --url http://localhost:8501/
"""

from __future__ import annotations

import argparse
import itertools
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from chromium import CANVAS, CHROMIUM, CHROMIUM_ARGS  # noqa: E402

PREDICTION = '[data-testid="stMetricValue"]'

# True when the prediction is on screen and, for "everything", every step and heatmap image is decoded.
SHOWN_JS = """(everything) => {
    const value = document.querySelector('[data-testid="stMetricValue"]');
    if (!value || !value.textContent.trim()) return false;
    if (!everything) return true;
    const layers = document.querySelector('.hl-layers');
    if (!layers || !layers.textContent.includes('output (')) return false;
    const images = [...document.querySelectorAll('.hl img, [data-testid="stImage"] img')];
    return images.every((img) => img.complete && img.naturalWidth > 0);
}"""

# Where the only canvas is in the page (not the viewport), or null while there is none or two.
CANVAS_PLACE_JS = """() => {
    const hosts = document.querySelectorAll('[data-testid="stBidiComponentIsolated"]');
    const canvas = hosts.length === 1 && hosts[0].shadowRoot?.querySelector('canvas.upper-canvas');
    if (!canvas) return null;
    const r = canvas.getBoundingClientRect(), main = document.querySelector('[data-testid="stMain"]');
    return [Math.round(r.x), Math.round(r.y + (main ? main.scrollTop : 0) + window.scrollY)];
}"""

# Strokes in canvas fractions, one per round, varied so every round is a new drawing.
STROKES = [
    [(0.50, 0.15), (0.50, 0.85)],  # 1
    [(0.30, 0.20), (0.70, 0.20), (0.45, 0.85)],  # 7
    [(0.30, 0.30), (0.50, 0.15), (0.70, 0.30), (0.30, 0.85), (0.72, 0.85)],  # 2
    [(0.65, 0.15), (0.30, 0.60), (0.75, 0.60), (0.60, 0.40), (0.60, 0.88)],  # 4
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int) -> subprocess.Popen:
    """``streamlit run app.py`` in the background, quiet, on ``port``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def draw(page: Page, points: list[tuple[float, float]], steps: int = 8) -> None:
    """Press, move through ``points`` (canvas fractions) and hover before the release (the caller releases)."""
    box = page.locator(CANVAS).bounding_box()
    assert box is not None, "canvas not visible"

    def at(fx: float, fy: float) -> tuple[float, float]:
        return box["x"] + fx * box["width"], box["y"] + fy * box["height"]

    page.mouse.move(*at(*points[0]))
    page.mouse.down()
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        for i in range(1, steps + 1):
            page.mouse.move(*at(x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps))


def clear(page: Page, timeout_ms: float) -> None:
    """Press "Clear" and wait for the fresh canvas (a new component) to be ready where the old one was."""
    old = page.locator(CANVAS).element_handle(timeout=timeout_ms)
    place = page.evaluate(CANVAS_PLACE_JS)
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("(el) => !el.isConnected", arg=old, timeout=timeout_ms)
    page.locator(PREDICTION).wait_for(state="detached", timeout=timeout_ms)
    # Until the rerun ends the old canvas's place stays taken and the new one appears below it.
    page.wait_for_function(
        f"(place) => JSON.stringify(({CANVAS_PLACE_JS})()) === JSON.stringify(place)", arg=place, timeout=timeout_ms
    )
    page.wait_for_timeout(100)  # the component loads its (empty) initial drawing


def round_trip(
    page: Page, points: list[tuple[float, float]], timeout_ms: float, everything: bool = True
) -> tuple[float, float]:
    """Clear, draw one stroke; seconds from mouse-up to the prediction, and to everything (or NaN), shown."""
    clear(page, timeout_ms)
    draw(page, points)
    start = time.perf_counter()
    page.mouse.up()
    page.wait_for_function(SHOWN_JS, arg=False, polling="raf", timeout=timeout_ms)
    prediction = time.perf_counter() - start
    if not everything:
        return prediction, float("nan")
    page.wait_for_function(SHOWN_JS, arg=True, polling="raf", timeout=timeout_ms)
    return prediction, time.perf_counter() - start


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, seconds: list[float]) -> None:
    ms = [1000 * s for s in seconds]
    print(
        f"{name:>28}: median {statistics.median(ms):4.0f} ms, p95 {percentile(ms, 0.95):4.0f} ms, "
        f"min {min(ms):4.0f} ms, max {max(ms):4.0f} ms ({len(ms)} strokes)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="benchmark a running app instead of starting one")
    parser.add_argument("--strokes", type=int, default=30, help="measured strokes (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured strokes first (default 3)")
    parser.add_argument("--alphabet", default="digits", choices=["digits", "letters", "runes"])
    parser.add_argument("--show-all", action="store_true", help='turn on "Show all feature maps"')
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()

    server = None
    started = time.perf_counter()
    if args.url:
        url = args.url
    else:
        port = free_port()
        server = start_server(port)
        url = f"http://localhost:{port}/"
    url = url.rstrip("/") + f"/?alphabet={args.alphabet}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            deadline = time.perf_counter() + 60
            while True:  # the server takes a moment to listen
                try:
                    page.goto(url, timeout=60_000)
                    break
                except Exception:
                    if time.perf_counter() > deadline:
                        raise
                    time.sleep(0.1)
            page.locator(CANVAS).wait_for(timeout=60_000)
            cold = time.perf_counter() - started
            draw(page, STROKES[1])  # at once: the model may still be loading
            page.mouse.up()
            page.wait_for_function(SHOWN_JS, arg=True, polling="raf", timeout=60_000)
            first = time.perf_counter() - started
            if args.show_all:  # the switch appears with the first heatmaps and stays on
                page.get_by_text("Show all feature maps").click()
                page.wait_for_function("() => !document.querySelector('.hl-layers')?.textContent.includes('first ')")
            timings = []
            for i in range(args.warmup + args.strokes):
                result = round_trip(page, STROKES[i % len(STROKES)], timeout_ms=30_000)
                if i >= args.warmup:
                    timings.append(result)
            browser.close()
    finally:
        if server is not None:
            server.terminate()
            server.wait(10)

    print(f"Draw page, {args.alphabet}, {args.width}x{args.height}, show all maps: {args.show_all}")
    if server is not None:
        print(f"{'cold start':>28}: {cold:.1f} s from `streamlit run` to a canvas that takes strokes,")
        print(f"{'':>28}  {first:.1f} s to the first stroke's prediction and heatmaps (model loaded meanwhile)")
    report("stroke end -> prediction", [t for t, _ in timings])
    report("stroke end -> all heatmaps", [t for _, t in timings])


if __name__ == "__main__":
    main()
