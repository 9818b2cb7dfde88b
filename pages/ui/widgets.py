"""Streamlit widgets the pages share: alphabet and model choice, the cached recognizer, canvas and upload."""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from streamlit_drawable_canvas import st_canvas

import recognizer
from recognizer.alphabets import ALPHABETS, MODEL_TITLES, Alphabet
from recognizer.imageio import FORMATS, MAX_FILE_BYTES, ImageReadError, decode_image
from recognizer.trainings import load_trained, trained_alphabets, trained_models

from .builders import STYLE, chart_cards

if TYPE_CHECKING:
    import numpy as np

    from recognizer.inference import Checked, Recognizer

__all__ = [
    "CANVAS_BACKGROUND",
    "CANVAS_KEY",
    "DRAW_WITH",
    "TRAINED",
    "UPLOAD_KEY",
    "YOURS",
    "arriving",
    "canvas",
    "canvas_fixes",
    "chart",
    "check_model_file",
    "drawn_image",
    "heading",
    "load_recognizer",
    "model_missing",
    "model_path",
    "models_dir",
    "page",
    "pick_alphabet",
    "pick_input",
    "pick_model",
    "row_drawing",
    "style",
    "through_app",
    "upload_refused",
    "uploaded_image",
    "user_model",
]

CANVAS_SIZE = 280
CANVAS_BACKGROUND = 0
"""Grey level of the canvas: black, so that the white ink is light on dark like the training images."""
CANVAS_KEY = "canvas"  # session-state key of the drawing canvas; "Clear" adds a suffix
UPLOAD_KEY = "upload"
INPUTS = {"draw": "Draw", "upload": "Upload a photo"}
USER_MODEL = "user_model"  # (alphabet key, Checked, upload key) of the model this user checked: theirs alone
YOURS = "yours"  # the model choice that is the user's own model
TRAINED = "trained:"  # the model choice of a model trained on the Train page: this and its path
MAX_TRAINED = 3  # the newest models trained here that the Draw page offers per alphabet
DRAW_WITH = "draw_with"  # set by "Draw with this model": the Draw page picks that model choice once
LAST_DRAWING = "last_drawing"  # (canvas objects, RGBA image) of the latest drawing
RESTORE = "restore_drawing"  # what the canvas redraws when it comes back after an upload


def style() -> None:
    """The look of the pages' inline HTML blocks."""
    st.html(STYLE)


CANVAS_CSS = Path(__file__).with_name("canvas.css")
_PATCH_CANVAS = """<script>
(() => {
  if (window.hlCanvasPatch) return;
  const css = %s;
  window.hlCanvasPatch = setInterval(() => {
    for (const host of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = host.shadowRoot;
      if (root && root.querySelector(".dc-toolbar") && !root.querySelector("style[data-hl]")) {
        const style = document.createElement("style");
        style.dataset.hl = "canvas";
        style.textContent = css;
        root.appendChild(style);
      }
    }
  }, 100);
})();
</script>"""


def canvas_fixes() -> None:
    """Style the canvas component from inside its shadow root, where the page's CSS does not reach (``canvas.css``)."""
    st.html(_PATCH_CANVAS % json.dumps(CANVAS_CSS.read_text(encoding="utf-8")), unsafe_allow_javascript=True)


def page(name: str, canvas: bool = False) -> None:
    """Start a page: inside ``app.py``'s navigation, with the pages' look; a page with the canvas also fixes the
    canvas's toolbar and redraws the last drawing when arriving from another page."""
    through_app()
    style()
    if canvas:
        canvas_fixes()
        arriving(name)


def heading(title: str, intro: str) -> None:
    """The page's title and what it is for; the latter is left out on a phone (style.css), to keep the canvas and
    its result on the screen."""
    st.title(title)
    with st.container(key="intro"):
        st.markdown(intro)


def through_app() -> None:
    """Make sure this page runs inside ``app.py``'s navigation; call it first on every page.

    A server finds ``pages/`` and, until ``app.py`` has called ``st.navigation`` once,
    runs a requested page file on its own (Streamlit's older folder-of-pages mode):
    a tab still open on ``/draw`` after a restart would get a page without the
    app's layout and navigation. Switching that mode off and rerunning runs ``app.py``,
    which shows the same page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


@st.cache_resource(show_spinner=False, max_entries=8)
def get_recognizer(alphabet: str, model: str, stamp: int) -> Recognizer:
    """Load a shipped model (or one trained here, ``TRAINED`` + its path) once per server; ``stamp`` (the file's
    mtime) reloads a replaced file."""
    rec = load_trained(model.removeprefix(TRAINED)) if model.startswith(TRAINED) else recognizer.load(alphabet, model)
    # TensorFlow and Keras leave ~400 000 Python objects behind; a full garbage collection walking them
    # takes ~250 ms and would stall a random stroke. Frozen objects are skipped by the collector.
    gc.freeze()
    return rec


@st.cache_data(show_spinner=False)
def _chart_html(alphabet: str) -> str:
    return chart_cards(ALPHABETS[alphabet])


def chart(alphabet: Alphabet) -> None:
    """The alphabet's reference chart (every label's shape and name), for alphabets people do not know."""
    if alphabet.chart:
        with st.expander(alphabet.chart, icon=":material/menu_book:"):
            st.html(_chart_html(alphabet.key))


@st.cache_data(show_spinner=False, ttl=2)
def _trained_alphabets() -> dict[str, Alphabet]:
    return {a.key: a for a in trained_alphabets()}


def pick_alphabet(own: bool = False) -> Alphabet:
    """Alphabet buttons, kept in the ``?alphabet=`` query parameter so a link opens the same alphabet; ``own``
    adds the alphabets of one's own that have a model trained on the Train page."""
    options = ALPHABETS | (_trained_alphabets() if own else {})
    first = next(iter(options))
    asked = st.query_params.get("alphabet", first)
    key = st.segmented_control(
        "Alphabet",
        list(options),
        default=asked if asked in options else first,
        required=True,
        format_func=lambda k: options[k].button,
        key="alphabet" if not own or len(options) == len(ALPHABETS) else f"alphabet_{len(options)}",
        persist_state="session",
    )
    key = key if key in options else first
    if st.query_params.get("alphabet", first) != key:
        st.query_params["alphabet"] = key
    return options[key]


def user_model(alphabet: Alphabet) -> Checked | None:
    """The model this user checked on the Your model page for this alphabet, if it works (in their session only)."""
    kept = st.session_state.get(USER_MODEL)
    return kept[1] if kept and kept[0] == alphabet.key and kept[1].recognizer is not None else None


def models_dir() -> Path | None:
    """The folder of model files given with ``streamlit run app.py -- --models-dir DIR``, if any."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--models-dir", type=Path)
    return parser.parse_known_args(sys.argv[1:])[0].models_dir


def check_model_file(
    alphabet: Alphabet,
    name: str,
    key: tuple,
    path: Path | None = None,
    data: bytes = b"",
    labels: list[str] | None = None,
) -> Checked | None:
    """Check a model file once per session: one from the models folder (``path``), or uploaded (``data``).

    An upload is written under its own name to a temporary folder that is deleted at once. The result and its
    recognizer stay in this user's session only; None after saying why the file cannot be used.
    """
    key = (alphabet.key, *key, tuple(labels or ()))
    kept = st.session_state.get(USER_MODEL)
    if kept and kept[2] == key:
        return kept[1]
    with tempfile.TemporaryDirectory() as folder, st.spinner("Trying every input convention on our probe drawings…"):
        if path is None:
            path = Path(folder) / Path(name).name
            path.write_bytes(data)
        try:
            checked = recognizer.check_model(path, alphabet.key, labels)
        except ValueError as err:  # ModelFileError, or labels that are not the alphabet's
            st.error(f"**This file cannot be used.** {str(err).replace(str(path), name)}", icon=":material/error:")
            return None
    st.session_state[USER_MODEL] = (alphabet.key, checked, key)
    return checked


def _model_title(model: str, mine: Checked | None) -> str:
    if model == YOURS and mine is not None:
        return f"Your model ({mine.recognizer.card.name})"
    if model.startswith(TRAINED):
        return f"Trained here ({Path(model).stem.partition('_')[2]})"
    return MODEL_TITLES.get(model, model)


def pick_model(alphabet: Alphabet) -> str:
    """The model to use: a choice when more than one model of this alphabet exists (the user's own, and those
    trained on the Train page, among them)."""
    available = [m for m in alphabet.models if alphabet.model_path(m).is_file()]
    available += [TRAINED + str(path) for path in trained_models(alphabet.key)[:MAX_TRAINED]]
    mine = user_model(alphabet)
    if mine is not None:
        available.append(YOURS)
    if len(available) < 2:
        return available[0] if available else (*alphabet.models, "cnn")[0]
    asked = st.session_state.pop(DRAW_WITH, None)
    if asked in available:
        st.session_state[f"model_{alphabet.key}"] = asked
    choice = st.segmented_control(
        "Model",
        available,
        default=YOURS if mine is not None else available[0],
        required=True,
        format_func=lambda m: _model_title(m, mine),
        key=f"model_{alphabet.key}",
        persist_state="session",
    )
    return choice if choice in available else available[0]


def pick_input() -> str:
    """Draw on the canvas or upload a photo: ``"draw"`` or ``"upload"``."""
    mode = st.segmented_control(
        "Input",
        list(INPUTS),
        default="draw",
        required=True,
        format_func=INPUTS.get,
        key="input_mode",
        persist_state="session",
        on_change=_keep_drawing,
    )
    return mode or "draw"


def arriving(page: str) -> None:
    """Call first on a page with the canvas: arriving from another page, the canvas redraws the last drawing."""
    if st.session_state.get("page") != page:
        st.session_state["page"] = page
        st.session_state[RESTORE] = st.session_state.get(LAST_DRAWING)


def _keep_drawing() -> None:
    """Switching to the upload removes the canvas and its state: keep the drawing to redraw on the way back."""
    st.session_state[RESTORE] = st.session_state.get(LAST_DRAWING)


def _model_error(alphabet: Alphabet, model: str, problem: object) -> None:
    st.error(
        f"**The {alphabet.noun} model cannot be used.** {problem}\n\n"
        f"Train it with `python -m recognizer train --alphabet {alphabet.key} --model {model}`.",
        icon=":material/error:",
    )


def model_path(alphabet: Alphabet, model: str) -> Path:
    """The file of a model choice: a shipped model's, or one trained here (``TRAINED`` + its path)."""
    return Path(model.removeprefix(TRAINED)) if model.startswith(TRAINED) else alphabet.model_path(model)


def model_missing(alphabet: Alphabet, model: str) -> bool:
    """Whether the model file is absent (said on the page), checked without loading TensorFlow."""
    path = model_path(alphabet, model)
    if model == YOURS or path.is_file():
        return False
    _model_error(alphabet, model, f"{path}: model file not found")
    return True


def load_recognizer(alphabet: Alphabet, model: str) -> Recognizer | None:
    """The cached recognizer (or the user's own), or None after explaining why the model file cannot be used."""
    if model == YOURS:
        return user_model(alphabet).recognizer
    path = model_path(alphabet, model)
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    try:
        with st.spinner(f"Loading the {alphabet.noun} model…"):
            return get_recognizer(alphabet.key, model, stamp)
    except recognizer.ModelFileError as err:
        _model_error(alphabet, model, err)
        return None


def _clear_canvas() -> None:
    st.session_state.canvas_generation = st.session_state.get("canvas_generation", 0) + 1
    st.session_state[LAST_DRAWING] = st.session_state[RESTORE] = None


def _canvas_key() -> str:
    generation = st.session_state.get("canvas_generation", 0)
    return CANVAS_KEY if generation == 0 else f"{CANVAS_KEY}-{generation}"


def canvas(key: str, pen: int, size: tuple[int, int] = (CANVAS_SIZE, CANVAS_SIZE), initial: dict | None = None):
    """A drawing canvas as every page has it: a white pen ``pen`` pixels wide on black, ``size`` (width, height);
    ``initial`` is a drawing (the canvas's own JSON) to start from."""
    return st_canvas(
        stroke_width=pen,
        stroke_color="#FFFFFF",
        background_color="#" + f"{CANVAS_BACKGROUND:02x}" * 3,
        width=size[0],
        height=size[1],
        drawing_mode="freedraw",
        return_image_data=True,
        initial_drawing=initial,
        key=key,
    )


def drawn_image() -> np.ndarray | None:
    """The drawing canvas (white ink on black) and its pen controls; the RGBA drawing or None."""
    st.caption("✏️ Draw here")
    restore = st.session_state.get(RESTORE)
    result = canvas(_canvas_key(), st.session_state.get("pen", 20), initial=restore[0] if restore else None)
    with st.container(horizontal=True, vertical_alignment="bottom", width=CANVAS_SIZE):
        st.slider("Pen width", 6, 40, 20, key="pen", persist_state="session")
        st.button(
            "Clear",
            icon=":material/delete:",
            on_click=_clear_canvas,
            help="Undo, redo and clear are also above the canvas when you point at it.",
        )
    # A redrawn canvas sends its picture only with its next change: until then, the kept one stands for it.
    image = restore[1] if result.image_data is None and restore else result.image_data
    if image is not None:
        st.session_state[LAST_DRAWING] = (result.json_data, image)
    return image


ROW_CANVAS = (720, 200)
"""Width and height of the Row page's canvas: five characters and more, a phone held sideways."""


def row_drawing() -> np.ndarray | None:
    """The Row page's wide canvas (white ink on black), its pen and Clear; the RGBA drawing or None."""
    generation = st.session_state.get("row_generation", 0)
    result = canvas(f"row_canvas-{generation}", st.session_state.get("row_pen", 12), ROW_CANVAS)
    with st.container(horizontal=True, vertical_alignment="bottom", width=CANVAS_SIZE):
        st.slider("Pen width", 4, 30, 12, key="row_pen", persist_state="session")
        st.button(
            "Clear",
            icon=":material/delete:",
            key="row_clear",
            on_click=lambda: st.session_state.update(row_generation=generation + 1),
        )
    return result.image_data


def upload_refused(mode: str) -> bool:
    """Whether a file was uploaded but could not be used (its message is shown by :func:`uploaded_image`)."""
    return mode == "upload" and st.session_state.get(UPLOAD_KEY) is not None


def uploaded_image() -> np.ndarray | None:
    """A photo or scan of one character, shown large, or None (with a message when the file is unusable).

    The uploader lets files up to the server's transfer limit through, several times
    ``MAX_FILE_BYTES``, so that a file over the limit is refused by ``decode_image``
    with a message on the page, not only in the uploader's tooltip (which touch screens never show).
    """
    file = st.file_uploader(
        f"Photo or scan of one handwritten character ({', '.join(sorted(set(FORMATS.values())))},"
        f" up to {MAX_FILE_BYTES // 2**20} MB)",
        type=list(FORMATS),
        max_upload_size=st.get_option("server.maxUploadSize"),
        key=UPLOAD_KEY,
    )
    if file is None:
        return None
    try:
        image = decode_image(file.getvalue(), file.name)
    except ImageReadError as err:
        st.error(f"**This file cannot be used.** {err}", icon=":material/broken_image:")
        return None
    st.image(image, caption=file.name, width=CANVAS_SIZE)
    return image
