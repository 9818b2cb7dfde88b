"""End to end in headless Chromium: draw with the mouse (or a finger) and the right prediction appears.

One ``streamlit run app.py`` server serves the whole test session. Screenshots go
to ``tests/artifacts/`` (git-ignored); the digit test also writes
``docs/draw-page.png`` for the README when ``UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import cv2
import numpy as np
import pytest
from app_samples import SAMPLES, model_file, to_canvas
from chromium import CANVAS, CHROMIUM, CHROMIUM_ARGS, draw
from drawing import DIGITS, NOT_CHARACTERS
from playwright.sync_api import Browser, Page, expect, sync_playwright

from recognizer.alphabets import get_alphabet
from recognizer.reading import methods

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
DOCS_SCREENSHOT = ROOT / "docs" / "draw-page.png"
PREDICTION = '[data-testid="stMetricValue"]'
TIMEOUT_MS = 30_000

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(log_dir: Path) -> Iterator[str]:
    """A ``streamlit run app.py`` server of its own; its log is shown if it does not come up."""
    port = free_port()
    log_path = log_dir / "server.log"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port)]
    with log_path.open("wb") as log:
        server = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the whole test session."""
    with serve(tmp_path_factory.mktemp("streamlit")) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def desktop(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 400, "height": 900}, has_touch=True, is_mobile=True)
    yield context.new_page()
    context.close()


def open_draw_page(page: Page, url: str, alphabet: str) -> dict:
    """Open the Draw page with an alphabet; the canvas's bounding box once it takes strokes."""
    page.goto(f"{url}?alphabet={alphabet}")
    canvas = page.locator(CANVAS)
    canvas.wait_for(timeout=TIMEOUT_MS)
    canvas.scroll_into_view_if_needed()
    page.wait_for_timeout(300)  # the component loads its empty initial drawing
    box = canvas.bounding_box()
    assert box is not None
    return box


def expect_prediction(page: Page, label: str) -> None:
    expect(page.locator(PREDICTION)).to_have_text(label, timeout=TIMEOUT_MS)
    expect(page.locator(".hl-layers")).to_contain_text("output (", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.hl img')].every((img) => img.complete && img.naturalWidth > 0)",
        timeout=TIMEOUT_MS,
    )


@pytest.mark.parametrize("alphabet", list(SAMPLES))
def test_drawing_with_the_mouse_shows_the_right_prediction(app_url: str, desktop: Page, alphabet: str) -> None:
    if not model_file(alphabet).is_file():
        pytest.skip(f"{model_file(alphabet)} not trained yet")
    label, strokes = SAMPLES[alphabet]
    box = open_draw_page(desktop, app_url, alphabet)
    draw(desktop, to_canvas(strokes))
    desktop.mouse.move(box["x"] + box["width"] + 400, box["y"])  # away, so the canvas toolbar hides again
    expect_prediction(desktop, label)
    ARTIFACTS.mkdir(exist_ok=True)
    desktop.screenshot(path=ARTIFACTS / f"draw-{alphabet}.png")
    if alphabet == "digits" and os.environ.get("UPDATE_SCREENSHOTS"):
        desktop.screenshot(path=DOCS_SCREENSHOT)


@pytest.mark.parametrize("alphabet", list(SAMPLES))
def test_a_star_is_none_of_these(app_url: str, desktop: Page, alphabet: str) -> None:
    if not model_file(alphabet).is_file():
        pytest.skip(f"{model_file(alphabet)} not trained yet")
    open_draw_page(desktop, app_url, alphabet)
    draw(desktop, to_canvas(NOT_CHARACTERS["star"]))
    expect_prediction(desktop, "None of these")
    expect(desktop.get_by_text("Closest characters")).to_be_visible()
    expect(desktop.locator(".hl-bars .hl-track")).to_have_count(3)


def test_drawing_with_a_finger_on_a_phone(app_url: str, phone: Page) -> None:
    if not model_file("digits").is_file():
        pytest.skip(f"{model_file('digits')} not trained yet")
    label, strokes = SAMPLES["digits"]
    box = open_draw_page(phone, app_url, "digits")
    assert box["x"] >= 0 and box["x"] + box["width"] <= 400, "the canvas fits a phone screen"
    draw(phone, to_canvas(strokes), touch=True)
    expect_prediction(phone, label)
    metric = phone.locator('[data-testid="stMetric"]').bounding_box()
    assert metric is not None and metric["y"] + metric["height"] <= 900, "the prediction shows under the canvas"
    assert phone.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTop") == 0
    overflow = phone.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, "nothing sticks out sideways on a narrow screen"
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / "draw-phone.png")


def test_after_a_restart_an_open_tab_gets_the_whole_app_and_the_console_stays_calm(
    tmp_path: Path, desktop: Page
) -> None:
    with serve(tmp_path) as url:  # a new server process: its first request is for a page, not for app.py
        desktop.goto(f"{url}draw?alphabet=digits")
        desktop.locator(CANVAS).wait_for(timeout=TIMEOUT_MS)
        box = desktop.locator(CANVAS).bounding_box()
        expect(desktop.get_by_role("link", name="Models", exact=True)).to_be_visible()
        expect(desktop.get_by_text("app", exact=True)).to_have_count(0)
        assert box["width"] == 280, "the wide layout of app.py: the whole canvas is visible"
        draw(desktop, to_canvas(SAMPLES["digits"][1]))  # TensorFlow starts and the model runs
        expect_prediction(desktop, SAMPLES["digits"][0])
    log = (tmp_path / "server.log").read_text(errors="replace")
    for alarming in ("E0000", "cuInit", "CUDA error", "oneDNN", "absl::", "Traceback"):
        assert alarming not in log, f"`streamlit run app.py` printed {alarming!r} though nothing is wrong:\n{log}"


# Where strokes start: every corner and edge, and the top-right strip the canvas toolbar used to cover.
STARTS = [(0.03, 0.03), (0.5, 0.03), (0.97, 0.03), (0.97, 0.5), (0.97, 0.97), (0.5, 0.97), (0.03, 0.97), (0.03, 0.5)]
STARTS += [(140 / 280, 15 / 280), (200 / 280, 15 / 280), (260 / 280, 15 / 280), (200 / 280, 30 / 280)]


@pytest.mark.parametrize("touch", [False, True], ids=["mouse", "touch"])
def test_a_stroke_starting_at_any_edge_or_corner_is_recognised(app_url: str, browser: Browser, touch: bool) -> None:
    size = {"width": 400, "height": 900} if touch else {"width": 1280, "height": 900}
    context = browser.new_context(viewport=size, has_touch=touch, is_mobile=touch)
    page = context.new_page()
    try:
        open_draw_page(page, app_url, "digits")
        for x, y in STARTS:
            draw(page, [[(x, y), (0.5, 0.5), (1 - x, 1 - y)]], touch=touch)  # through the middle to the far side
            expect(page.locator(PREDICTION), f"a stroke from ({x:.2f}, {y:.2f})").to_have_count(1, timeout=TIMEOUT_MS)
            page.get_by_role("button", name="Clear").click()
            expect(page.locator(PREDICTION)).to_have_count(0, timeout=TIMEOUT_MS)
            page.locator(CANVAS).wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(300)  # the new canvas loads its empty drawing
    finally:
        context.close()


def test_a_drawing_is_still_there_after_a_look_at_the_upload(app_url: str, desktop: Page) -> None:
    label, strokes = SAMPLES["digits"]
    open_draw_page(desktop, app_url, "digits")
    draw(desktop, to_canvas(strokes))
    expect_prediction(desktop, label)
    desktop.locator(".st-key-input_mode").get_by_text("Upload a photo", exact=True).click()
    expect(desktop.locator(CANVAS)).to_have_count(0, timeout=TIMEOUT_MS)
    desktop.locator(".st-key-input_mode").get_by_text("Draw", exact=True).click()
    expect_prediction(desktop, label)
    shot = cv2.imdecode(np.frombuffer(desktop.locator(CANVAS).screenshot(), np.uint8), cv2.IMREAD_GRAYSCALE)
    assert (shot > 128).mean() > 0.02, "the strokes are drawn on the canvas again, not only remembered"


@pytest.mark.parametrize("alphabet", ["digits", "letters"])
def test_why_models_fail_reads_a_drawing_every_way_at_once(app_url: str, desktop: Page, alphabet: str) -> None:
    label, strokes = SAMPLES[alphabet]
    desktop.goto(f"{app_url}why?alphabet={alphabet}")
    desktop.locator(CANVAS).wait_for(timeout=TIMEOUT_MS)
    desktop.wait_for_timeout(300)
    draw(desktop, to_canvas(strokes))
    variants = desktop.locator(".hl-variants figure")
    expect(variants).to_have_count(8, timeout=TIMEOUT_MS)
    expect(variants.first).to_contain_text(f"says {label}")
    charts = desktop.locator(".hl-sweep img")
    expect(charts).to_have_count(6, timeout=TIMEOUT_MS)
    assert charts.first.evaluate("img => img.complete && img.naturalWidth > 0"), "the sweep plots are drawn"
    expect(desktop.locator(".hl-saliency section")).to_have_count(3)
    expect(desktop.locator(".hl-saliency section").first).to_contain_text(label)
    ARTIFACTS.mkdir(exist_ok=True)
    desktop.screenshot(path=ARTIFACTS / f"why-{alphabet}.png", full_page=True)


def row_strokes(text: str, canvas: tuple[int, int] = (720, 200)) -> list:
    """Digits written left to right across the wide canvas, in canvas fractions: 140 px high, 110 px apart."""
    width, height = canvas
    return [
        [((60 + 110 * i + 140 * x) / width, (30 + 140 * y) / height) for x, y in stroke]
        for i, c in enumerate(text)
        for stroke in DIGITS[c]
    ]


@pytest.mark.skipif(not model_file("digits").is_file(), reason="the digits model is not trained yet")
def test_a_row_written_with_the_mouse_is_read_four_ways(app_url: str, desktop: Page) -> None:
    desktop.goto(f"{app_url}row?alphabet=digits")
    desktop.locator(CANVAS).wait_for(timeout=TIMEOUT_MS)
    desktop.wait_for_timeout(300)
    draw(desktop, row_strokes("3174"))
    metrics = desktop.locator(PREDICTION)
    expect(metrics).to_have_count(4, timeout=TIMEOUT_MS)
    expect(metrics.first).to_have_text("3174", timeout=TIMEOUT_MS)
    segmentation = desktop.locator(".hl-reading").nth(methods(get_alphabet("digits")).index("segment"))
    expect(segmentation.locator(".hl-strip figure")).to_have_count(4)  # a 28 x 28 input per digit
    expect(desktop.locator(".hl-positions tr")).to_have_count(6)  # the header and a row per head
    ARTIFACTS.mkdir(exist_ok=True)
    desktop.screenshot(path=ARTIFACTS / "row-digits.png", full_page=True)


SHAPE_STROKES = {"ring": NOT_CHARACTERS["spiral"], "bar": [[(0.5, 0.1), (0.5, 0.9)]]}


def save_drawing(page: Page, strokes: list) -> None:
    """Draw on the Collect page's canvas, press Save, and wait for the saved drawing's fresh canvas."""
    save = page.get_by_role("button", name="Save", exact=True)
    save.scroll_into_view_if_needed()  # the canvas above it too
    for _ in range(3):  # a canvas made a moment ago on a busy machine may miss a first stroke: draw it again
        draw(page, to_canvas(strokes))
        with suppress(AssertionError):
            expect(save).to_be_enabled(timeout=10_000)
            break
    expect(save).to_be_enabled()
    save.click()
    expect(page.get_by_text("Saved your").last).to_be_visible(timeout=TIMEOUT_MS)
    expect(save).to_be_disabled(timeout=TIMEOUT_MS)
    expect(page.locator(CANVAS)).to_have_count(1, timeout=TIMEOUT_MS)  # the saved drawing's canvas is gone
    page.wait_for_timeout(700)  # the new canvas loads its empty initial drawing


def test_a_class_collects_drawings_trains_on_them_and_draws_with_its_model(app_url: str, desktop: Page) -> None:
    desktop.goto(app_url + "collect")
    desktop.get_by_role("textbox", name="Your nickname").fill("ada")
    desktop.keyboard.press("Enter")
    desktop.get_by_text("Make an alphabet of your own").click()
    desktop.get_by_role("textbox", name="Name of the alphabet").fill("Ring and bar")
    desktop.get_by_role("textbox", name="Labels, one per line").fill("ring, bar")
    desktop.get_by_role("button", name="Make it").click()
    expect(desktop.get_by_text("Ring and bar is ready")).to_be_visible(timeout=TIMEOUT_MS)
    desktop.locator(CANVAS).wait_for(timeout=TIMEOUT_MS)
    desktop.wait_for_timeout(700)
    for _ in range(10):  # the page asks for the label drawn least: five of each
        prompt = desktop.locator("h3").filter(has_text="Draw: ").inner_text().removeprefix("Draw: ").strip()
        save_drawing(desktop, SHAPE_STROKES[prompt])
    expect(desktop.get_by_text("10 drawings by 1 writer")).to_be_visible(timeout=TIMEOUT_MS)
    desktop.screenshot(path=str(ARTIFACTS / "collect.png"))

    desktop.get_by_role("link", name="Train").click()
    desktop.get_by_role("button", name="Train", exact=True).click()
    try:
        expect(desktop.get_by_text("Ring and bar · ada · done")).to_be_visible(timeout=180_000)
    finally:
        desktop.screenshot(path=str(ARTIFACTS / "training.png"))
    expect(desktop.get_by_text("your held-out drawings")).to_be_visible()
    desktop.screenshot(path=str(ARTIFACTS / "trained.png"))
    desktop.get_by_role("button", name="Draw with this model").click()
    expect(desktop.get_by_text("✍️ Handwriting Lab")).to_be_visible(timeout=TIMEOUT_MS)
    desktop.locator(CANVAS).wait_for(timeout=TIMEOUT_MS)
    draw(desktop, to_canvas(SHAPE_STROKES["bar"]))
    expect_prediction(desktop, "bar")
