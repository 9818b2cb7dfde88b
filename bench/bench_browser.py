"""Browser round trip of a drawing page: from the end of a stroke to updated predictions and heatmaps.

Starts ``streamlit run app.py`` (or uses ``--url``), opens the page in headless
Chromium, then repeatedly clears the canvas, draws one stroke with the mouse and
measures, from the mouse-up:

* prediction: the "Prediction" metric shows a label (the stroke's result is on screen);
* everything: also every preprocessing step and every layer's heatmap is shown (images decoded).

In the same run, browser and strokes it also measures the floor, ``bench/floor_app.py``:
the same canvas and a "Prediction" metric computed without a model, what a stroke
costs in Streamlit alone. The two apps take the strokes in turn. It prints the cold
start (server start to a canvas that takes strokes, and to the first stroke's result),
the median and p95 of both round trips of each app, and Handwriting Lab's medians as
a multiple of the floor's. ``--cdp`` also counts, per stroke, the bytes the server
sends to the browser and the page's elements (its round trips are then slower and
not comparable). ``--page why`` measures the Why models fail page instead: to its
variants strip ("prediction") and to every sweep plot and saliency map; ``--page row``
the Read a row page: to the segmentation's reading and to every reader's result and the
heads' table. Not part of pytest::

    python bench/bench_browser.py --strokes 30
    python bench/bench_browser.py --page why --app lab
    python bench/bench_browser.py --page row --app lab --strokes 20
    python bench/bench_browser.py --show-all            # all feature maps of every layer
    python bench/bench_browser.py --app lab --url http://localhost:8501/
"""

from __future__ import annotations

import argparse
import base64
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from chromium import CANVAS, CHROMIUM, CHROMIUM_ARGS, draw  # noqa: E402

PREDICTION = '[data-testid="stMetricValue"]'
APPS = {"floor": "bench/floor_app.py", "lab": "app.py"}  # scripts, relative to the repository
TITLES = {"floor": "floor", "lab": "Handwriting Lab"}

# Per page: where the stroke's first result shows, and the element that is there once everything is.
PAGES = {
    "draw": {"path": "", "result": PREDICTION, "last": ".hl-layers .hl-cols"},  # the output layer's card
    "why": {"path": "why", "result": ".hl-variants", "last": ".hl-saliency section:nth-child(3)"},
    "row": {"path": "row", "result": PREDICTION, "last": ".hl-positions"},  # every reader, the heads' table last
}
FLOOR = {"path": "", "result": PREDICTION, "last": None}  # no layers: its "everything" is its prediction

# True when the result is on screen and, for "everything", the page's last part too and every image decoded.
SHOWN_JS = """([everything, result, last]) => {
    const value = document.querySelector(result);
    if (!value || !value.textContent.trim()) return false;
    if (!everything) return true;
    if (last && !document.querySelector(last)) return false;
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

# Strokes in canvas fractions; stroke(i) varies them so every round is a new drawing.
STROKES = [
    [(0.50, 0.15), (0.50, 0.85)],  # 1
    [(0.30, 0.20), (0.70, 0.20), (0.45, 0.85)],  # 7
    [(0.30, 0.30), (0.50, 0.15), (0.70, 0.30), (0.30, 0.85), (0.72, 0.85)],  # 2
    [(0.65, 0.15), (0.30, 0.60), (0.75, 0.60), (0.60, 0.40), (0.60, 0.88)],  # 4
]


def stroke(i: int) -> list[tuple[float, float]]:
    """Round ``i``'s stroke: one of ``STROKES``, moved a little so no round repeats an earlier drawing.

    A repeated drawing gives the same pictures, which Streamlit does not send again (the browser has
    cached the message); a real new drawing always costs its full payload.
    """
    # Not higher up: the canvas's toolbar shows along its top edge while the pointer is over the canvas.
    dx, dy = 0.01 * ((i // len(STROKES)) % 9 - 4), 0.01 * ((i // (9 * len(STROKES))) % 6)
    return [(x + dx, y + dy) for x, y in STROKES[i % len(STROKES)]]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, script: str = "app.py") -> subprocess.Popen:
    """``streamlit run script`` in the background, quiet, on ``port``."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    cmd = [sys.executable, "-m", "streamlit", "run", script, "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--browser.gatherUsageStats", "false"]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def clear(page: Page, timeout_ms: float, result: str = PREDICTION) -> None:
    """Press "Clear" and wait for the fresh canvas (a new component) to be ready where the old one was."""
    old = page.locator(CANVAS).element_handle(timeout=timeout_ms)
    place = page.evaluate(CANVAS_PLACE_JS)
    page.get_by_role("button", name="Clear").click()
    page.wait_for_function("(el) => !el.isConnected", arg=old, timeout=timeout_ms)
    page.locator(result).wait_for(state="detached", timeout=timeout_ms)
    # Until the rerun ends the old canvas's place stays taken and the new one appears below it.
    page.wait_for_function(
        f"(place) => JSON.stringify(({CANVAS_PLACE_JS})()) === JSON.stringify(place)", arg=place, timeout=timeout_ms
    )
    page.wait_for_timeout(100)  # the component loads its (empty) initial drawing


class Frames:
    """Bytes of the websocket frames between page and server, counted over the DevTools protocol."""

    def __init__(self, page: Page) -> None:
        self.received = self.sent = 0
        self.frames_received = 0
        cdp = page.context.new_cdp_session(page)
        cdp.on("Network.webSocketFrameReceived", self._on_received)
        cdp.on("Network.webSocketFrameSent", self._on_sent)
        cdp.send("Network.enable")

    @staticmethod
    def size(response: dict) -> int:
        data = response["payloadData"]  # base64 for binary frames (opcode 2), text otherwise
        return len(base64.b64decode(data)) if response.get("opcode") == 2 else len(data.encode())

    def _on_received(self, event: dict) -> None:
        self.received += self.size(event["response"])
        self.frames_received += 1

    def _on_sent(self, event: dict) -> None:
        self.sent += self.size(event["response"])

    def reset(self) -> None:
        self.received = self.sent = self.frames_received = 0


@dataclass
class Stroke:
    """One measured stroke: seconds to the prediction and to everything; with ``--cdp`` what it moved."""

    prediction: float
    everything: float
    received: int = 0  # bytes from the server, mouse-up to everything shown
    sent: int = 0  # bytes to the server (the canvas's PNG and the widget state)
    frames: int = 0  # websocket messages from the server
    elements: tuple[int, int] = (0, 0)  # elements in the page before the stroke and after


def round_trip(
    page: Page,
    points: list[tuple[float, float]],
    timeout_ms: float,
    everything: bool = True,
    shown: dict = PAGES["draw"],
    frames: Frames | None = None,
) -> Stroke:
    """Clear, draw one stroke; seconds from mouse-up to the prediction, and to everything (or NaN), shown.

    ``shown``: the page's entry of :data:`PAGES` (or :data:`FLOOR`), what "shown" means there.
    """
    clear(page, timeout_ms, shown["result"])
    draw(page, [points], lift_last=False)
    before = page.evaluate("document.querySelectorAll('*').length") if frames else 0
    if frames:
        page.wait_for_timeout(50)  # DevTools events of the stroke's moves (none expected) are counted before
        frames.reset()
    start = time.perf_counter()
    page.mouse.up()
    args = [shown["result"], shown["last"]]
    page.wait_for_function(SHOWN_JS, arg=[False, *args], polling="raf", timeout=timeout_ms)
    prediction = time.perf_counter() - start
    if not everything:
        return Stroke(prediction, float("nan"))
    page.wait_for_function(SHOWN_JS, arg=[True, *args], polling="raf", timeout=timeout_ms)
    result = Stroke(prediction, time.perf_counter() - start)
    if frames:
        page.wait_for_timeout(300)  # the rerun's last messages (e.g. "script finished") and their events
        result.received, result.sent, result.frames = frames.received, frames.sent, frames.frames_received
        result.elements = (before, page.evaluate("document.querySelectorAll('*').length"))
    return result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report(name: str, seconds: list[float]) -> None:
    ms = [1000 * s for s in seconds]
    print(
        f"{name:>28}: median {statistics.median(ms):4.0f} ms, p95 {percentile(ms, 0.95):4.0f} ms, "
        f"min {min(ms):4.0f} ms, max {max(ms):4.0f} ms ({len(ms)} strokes)"
    )


@dataclass
class Run:
    """One app's measurements."""

    cold: float = float("nan")  # seconds from `streamlit run` to a canvas that takes strokes
    first: float = float("nan")  # ... to the first stroke's result
    strokes: list[Stroke] = field(default_factory=list)


def open_page(page: Page, url: str) -> None:
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


class Session:
    """One app under test: its server (unless ``url``), a page on it past the first stroke, and its strokes."""

    def __init__(self, browser: Browser, app: str, url: str | None, args: argparse.Namespace) -> None:
        self.app, self.run, self.server = app, Run(), None
        self.shown = PAGES[args.page] if app == "lab" else FLOOR
        started = time.perf_counter()
        if url is None:
            port = free_port()
            self.server = start_server(port, APPS[app])
            url = f"http://localhost:{port}/"
        self.page = browser.new_page(viewport={"width": args.width, "height": args.height})
        open_page(self.page, url.rstrip("/") + f"/{self.shown['path']}?alphabet={args.alphabet}")
        cold = time.perf_counter() - started
        draw(self.page, [STROKES[1]], lift_last=False)  # at once: the model may still be loading
        self.page.mouse.up()
        self.page.wait_for_function(
            SHOWN_JS, arg=[True, self.shown["result"], self.shown["last"]], polling="raf", timeout=60_000
        )
        if self.server is not None:
            self.run.cold, self.run.first = cold, time.perf_counter() - started
        if args.show_all and self.shown is PAGES["draw"]:  # the switch appears with the first heatmaps and stays on
            self.page.get_by_text("Show all feature maps").click()
            self.page.wait_for_function("() => !document.querySelector('.hl-layers')?.textContent.includes('first ')")
        self.frames = Frames(self.page) if args.cdp else None

    def stroke(self, points: list[tuple[float, float]], measured: bool) -> None:
        self.page.bring_to_front()
        result = round_trip(self.page, points, timeout_ms=30_000, shown=self.shown, frames=self.frames)
        if measured:
            self.run.strokes.append(result)

    def close(self) -> None:
        self.page.close()
        if self.server is not None:
            self.server.terminate()
            self.server.wait(10)


def report_run(app: str, run: Run) -> None:
    print(f"{TITLES[app]}:")
    if run.cold == run.cold:  # not NaN: the benchmark started the server
        print(f"{'cold start':>28}: {run.cold:.1f} s from `streamlit run` to a canvas that takes strokes,")
        what = "prediction and heatmaps (model loaded meanwhile)" if app == "lab" else "prediction"
        print(f"{'':>28}  {run.first:.1f} s to the first stroke's {what}")
    report("stroke end -> prediction", [s.prediction for s in run.strokes])
    report("stroke end -> all heatmaps", [s.everything for s in run.strokes])
    if any(s.frames for s in run.strokes):
        median = statistics.median
        print(
            f"{'per stroke (median)':>28}: {median(s.received for s in run.strokes) / 1000:.1f} kB to the browser "
            f"in {median(s.frames for s in run.strokes):.0f} messages, "
            f"{median(s.sent for s in run.strokes) / 1000:.1f} kB to the server; "
            f"elements {median(s.elements[0] for s in run.strokes):.0f} before -> "
            f"{median(s.elements[1] for s in run.strokes):.0f} after"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--app", default="both", choices=["both", "lab", "floor"], help="Handwriting Lab, the floor or both (default)"
    )
    parser.add_argument("--url", help="benchmark a running Handwriting Lab instead of starting one")
    parser.add_argument("--strokes", type=int, default=30, help="measured strokes (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="unmeasured strokes first (default 3)")
    parser.add_argument("--alphabet", default="digits", choices=["digits", "letters", "runes"])
    parser.add_argument("--page", default="draw", choices=list(PAGES), help="the page measured (default draw)")
    parser.add_argument("--show-all", action="store_true", help='turn on "Show all feature maps"')
    parser.add_argument("--cdp", action="store_true", help="also count bytes per stroke and page elements")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()

    apps = ["floor", "lab"] if args.app == "both" else [args.app]
    sessions: list[Session] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for app in apps:  # one after the other: cold starts do not overlap
                sessions.append(Session(browser, app, args.url if app == "lab" else None, args))
            # Stroke by stroke in turn, so a slower minute of the machine weighs on both apps alike.
            for i in range(args.warmup + args.strokes):
                for session in sessions:
                    session.stroke(stroke(i), measured=i >= args.warmup)
        finally:
            for session in sessions:
                session.close()
            browser.close()
    runs = {session.app: session.run for session in sessions}

    print(f"{args.page} page, {args.alphabet}, {args.width}x{args.height}, show all maps: {args.show_all}")
    for app, run in runs.items():
        report_run(app, run)
    if len(runs) == 2:
        for name, attr in [("prediction", "prediction"), ("all heatmaps", "everything")]:
            lab, floor = (statistics.median(getattr(s, attr) for s in runs[a].strokes) for a in ("lab", "floor"))
            print(f"{'stroke end -> ' + name:>28}: Handwriting Lab / floor = {lab / floor:.2f} x (medians)")


if __name__ == "__main__":
    main()
