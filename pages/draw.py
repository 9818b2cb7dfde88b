"""The Draw page: draw or upload one character and watch the network recognise it, layer by layer.

After every stroke only the ``lab`` fragment reruns. Its pictures (preprocessing
steps, heatmaps, probability bars) are inline HTML with PNG data URLs: one
message to the browser and no image requests, so a stroke shows in a blink.
"""

from __future__ import annotations

import gc
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

import streamlit as st
from streamlit_drawable_canvas import st_canvas

import recognizer
from recognizer.alphabets import ALPHABETS, MODEL_TITLES, Alphabet
from recognizer.imageio import MAX_FILE_BYTES, ImageReadError, decode_image
from recognizer.runes import template_image
from recognizer.visualize import LayerView, colorbar, layer_views, png_data_url, thumbnail, upscale

if TYPE_CHECKING:
    import numpy as np

    from recognizer.inference import Recognizer, Result

CANVAS_SIZE = 280
CANVAS_KEY = "canvas"  # session-state key of the drawing canvas; "Clear" adds a suffix
UPLOAD_KEY = "upload"
UNSURE_BELOW = 0.5
MAX_MAPS = 32  # feature maps shown per layer unless "Show all feature maps" is on
HEATMAP_WIDTH = 360  # pixels: three layers side by side on a 1280 px wide screen
THUMB = 80
MODEL_INPUT_ZOOM = 5

ALPHABET_BUTTONS = {"digits": "Digits 0–9", "letters": "Letters A–Z", "runes": "Runes ᚠ ᚢ ᚦ"}
WHAT_TO_DRAW = {
    "digits": "a digit from 0 to 9",
    "letters": "a letter from A to Z (capital or small)",
    "runes": "an Elder Futhark rune (the rune chart above shows all 24)",
}
LAYER_KINDS = {
    "conv": "convolution: where each filter finds its pattern",
    "pool": "max pooling: strongest response per 2 x 2 patch",
    "flatten": "the maps laid out as one long vector",
    "dense": "fully connected units",
    "output": "softmax: one probability per class",
}
STYLE = Path(__file__).with_name("draw.css")  # the look of the inline HTML blocks


@st.cache_resource(show_spinner=False, max_entries=8)
def get_recognizer(alphabet: str, model: str, stamp: int) -> Recognizer:
    """Load a shipped model once per server; ``stamp`` (the file's mtime) reloads a replaced file."""
    rec = recognizer.load(alphabet, model)
    # TensorFlow and Keras leave ~400 000 Python objects behind; a full garbage collection walking them
    # takes ~250 ms and would stall a random stroke. Frozen objects are skipped by the collector.
    gc.freeze()
    return rec


@st.cache_data(show_spinner=False)
def rune_cards() -> str:
    """Every rune's canonical drawing with its glyph, name and transliteration, in futhark order, as HTML."""
    runes = ALPHABETS["runes"]
    cards = [
        f"<figure>{img(thumbnail(template_image(g, 56, 4.0), 56), n)}"
        f"<figcaption><strong>{g} {n}</strong><br>{t}</figcaption></figure>"
        for g, n, t in zip(runes.labels, runes.names, runes.transliterations, strict=True)
    ]
    return f'<div class="hl hl-runes">{"".join(cards)}</div>'


def describe(alphabet: Alphabet, label: str) -> str:
    """A label as a reader knows it: runes get their name and transliteration."""
    if alphabet.key != "runes":
        return label
    i = alphabet.index(label)
    return f"{label} {alphabet.names[i]} ({alphabet.transliterations[i]})"


def img(image: np.ndarray, alt: str) -> str:
    """An inline ``<img>`` (no extra request) at the image's own size, smaller on a narrow screen."""
    h, w = image.shape[:2]
    return f'<img src="{png_data_url(image)}" width="{w}" height="{h}" alt="{escape(alt)}">'


# ------------------------------------------------------------------ controls


def pick_alphabet() -> Alphabet:
    """Alphabet buttons, kept in the ``?alphabet=`` query parameter so a link opens the same alphabet."""
    asked = st.query_params.get("alphabet", "digits")
    key = st.segmented_control(
        "Alphabet",
        list(ALPHABETS),
        default=asked if asked in ALPHABETS else "digits",
        required=True,
        format_func=ALPHABET_BUTTONS.get,
        key="alphabet",
        persist_state="session",
    )
    key = key or "digits"
    if st.query_params.get("alphabet", "digits") != key:
        st.query_params["alphabet"] = key
    return ALPHABETS[key]


def pick_model(alphabet: Alphabet) -> str:
    """The model to use: a choice only when more than one model file of this alphabet exists."""
    available = [m for m in alphabet.models if alphabet.model_path(m).is_file()]
    if len(available) < 2:
        return available[0] if available else alphabet.models[0]
    choice = st.segmented_control(
        "Model",
        available,
        default=available[0],
        required=True,
        format_func=lambda m: MODEL_TITLES.get(m, m.upper()),
        key=f"model_{alphabet.key}",
        persist_state="session",
    )
    return choice or available[0]


def pick_input() -> str:
    """Draw on the canvas or upload a photo."""
    mode = st.segmented_control(
        "Input",
        ["draw", "upload"],
        default="draw",
        required=True,
        format_func={"draw": "Draw", "upload": "Upload a photo"}.get,
        key="input_mode",
        persist_state="session",
    )
    return mode or "draw"


def model_error(alphabet: Alphabet, model: str, problem: object) -> None:
    st.error(
        f"**The {alphabet.title.lower()} model cannot be used.** {problem}\n\n"
        f"Train it with `python -m recognizer train --alphabet {alphabet.key} --model {model}`.",
        icon=":material/error:",
    )


def model_missing(alphabet: Alphabet, model: str) -> bool:
    """Whether the model file is absent (said on the page), checked without loading TensorFlow."""
    path = alphabet.model_path(model)
    if path.is_file():
        return False
    model_error(alphabet, model, f"{path}: model file not found")
    return True


def load_recognizer(alphabet: Alphabet, model: str) -> Recognizer | None:
    """The cached recognizer, or None after explaining why the model file cannot be used."""
    path = alphabet.model_path(model)
    stamp = path.stat().st_mtime_ns if path.is_file() else 0
    try:
        with st.spinner(f"Loading the {alphabet.title.lower()} model…"):
            return get_recognizer(alphabet.key, model, stamp)
    except recognizer.ModelFileError as err:
        model_error(alphabet, model, err)
        return None


def rune_chart() -> None:
    """All 24 runes with name and transliteration, for people who do not know them."""
    with st.expander(
        "Rune chart: the 24 runes of the Elder Futhark, their names and sounds", icon=":material/menu_book:"
    ):
        st.html(rune_cards())


# --------------------------------------------------------------------- input


def clear_canvas() -> None:
    st.session_state.canvas_generation = st.session_state.get("canvas_generation", 0) + 1


def canvas_key() -> str:
    generation = st.session_state.get("canvas_generation", 0)
    return CANVAS_KEY if generation == 0 else f"{CANVAS_KEY}-{generation}"


def drawn_image() -> np.ndarray | None:
    """The drawing canvas (white ink on black) and its pen controls; the RGBA drawing or None."""
    st.caption("✏️ Draw here")
    result = st_canvas(
        stroke_width=st.session_state.get("pen", 20),
        stroke_color="#FFFFFF",
        background_color="#000000",
        width=CANVAS_SIZE,
        height=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=canvas_key(),
    )
    with st.container(horizontal=True, vertical_alignment="bottom", width=CANVAS_SIZE):
        st.slider("Pen width", 6, 40, 20, key="pen", persist_state="session")
        st.button(
            "Clear",
            icon=":material/delete:",
            on_click=clear_canvas,
            help="Undo, redo and clear are also above the canvas when you point at it.",
        )
    return result.image_data


def uploaded_image() -> np.ndarray | None:
    """A photo or scan of one character, or None (with a message when the file is unusable)."""
    file = st.file_uploader(
        "Photo or scan of one handwritten character",
        type=["png", "jpg", "jpeg"],
        max_upload_size=MAX_FILE_BYTES // (1024 * 1024),
        key=UPLOAD_KEY,
    )
    if file is None:
        return None
    try:
        return decode_image(file.getvalue(), file.name)
    except ImageReadError as err:
        st.error(f"**This file cannot be used.** {err}", icon=":material/broken_image:")
        return None


# ------------------------------------------------------------------- results


def hint(alphabet: Alphabet, mode: str) -> str:
    """What to do on an empty canvas or before an upload."""
    if mode == "upload":
        return f"Upload a photo or scan of {WHAT_TO_DRAW[alphabet.key]}: one character, any ink colour on plain paper."
    return f"Draw {WHAT_TO_DRAW[alphabet.key]} on the black canvas, or upload a photo of one."


def probability_bars(alphabet: Alphabet, top_k: list[tuple[str, float]]) -> str:
    """The top candidates as labelled horizontal bars with their percentages."""
    rows = []
    for rank, (label, p) in enumerate(top_k):
        first = ' class="hl-first"' if rank == 0 else ""
        rows.append(
            f"<span{first}>{escape(describe(alphabet, label))}</span>"
            f'<div class="hl-track"><div class="hl-fill" style="width: {100 * p:.1f}%"></div></div>'
            f'<span class="hl-pct"{first}>{p:.1%}</span>'
        )
    return f'<div class="hl hl-bars" role="table" aria-label="Top 3">{"".join(rows)}</div>'


def model_note(rec: Recognizer) -> str:
    """Which model answered and how well it does on data it was not trained on, from its metadata."""
    validation = rec.metadata.get("validation", {})
    scores = ", ".join(
        f"{v['accuracy']:.1%} on {k.replace('_', ' ')}" for k, v in validation.items() if "accuracy" in v
    )
    return f"Model `{rec.path.name}`" + (f" · validation accuracy {scores}" if scores else "")


def show_prediction(alphabet: Alphabet, res: Result) -> None:
    """The winner, big, and the top 3 as a bar chart with their probabilities."""
    label, p = res.top_k[0]
    unsure = p < UNSURE_BELOW
    winner_col, top_col = st.columns([2, 3])
    with winner_col:
        st.metric(
            "Prediction",
            label,
            delta=f"{p:.0%} sure",
            delta_color="orange" if unsure else "green",
            delta_arrow="off",
            border=True,
        )
        if alphabet.key == "runes":
            i = alphabet.index(label)
            st.markdown(f"**{alphabet.names[i]}**, transliterated *{alphabet.transliterations[i]}*")
    with top_col:
        st.markdown("**Top 3**")
        st.html(probability_bars(alphabet, res.top_k))
        if unsure:
            st.warning("Not sure: maybe none of these?", icon=":material/help:")


def show_steps(res: Result) -> None:
    """Every preprocessing step side by side, ending with the 28 x 28 model input, large."""
    st.markdown(
        "**What the network sees** :gray[· each step brings the drawing closer to the training images:"
        " white ink, centred in a 28 x 28 square]"
    )
    names = list(res.steps)
    figures = [f"<figure>{img(thumbnail(res.steps[n], THUMB), n)}<figcaption>{n}</figcaption></figure>" for n in names]
    big = img(upscale(thumbnail(res.model_input, 28), MODEL_INPUT_ZOOM), names[-1])
    figures[-1] = f"<figure>{big}<figcaption>{names[-1]}, 28 x 28</figcaption></figure>"
    st.html(f'<div class="hl hl-strip">{"".join(figures)}</div>')


def output_columns(alphabet: Alphabet, res: Result) -> str:
    """The output layer: one column per class, its height the probability."""
    cols = "".join(
        f'<div class="hl-col" title="{escape(describe(alphabet, label))}: {p:.1%}">'
        f'<div style="height: {100 * p:.1f}%"></div><span>{escape(label)}</span></div>'
        for label, p in zip(alphabet.labels, res.probabilities.tolist(), strict=True)
    )
    return f'<div class="hl-cols">{cols}</div>'


def layer_card(view: LayerView, alphabet: Alphabet, res: Result) -> str:
    """One layer: title with output shape, what it does, and its heatmap (or the class probabilities)."""
    kind = next((text for prefix, text in LAYER_KINDS.items() if view.name.startswith(prefix)), "")
    head = f'<strong>{escape(view.title)}</strong><p class="hl-note">{kind}</p>'
    if view.name == "output":
        return f"<section>{head}{output_columns(alphabet, res)}</section>"
    scale = f'<p class="hl-note">colour scale {view.low:.2f} to {view.high:.2f}</p>'
    return f"<section>{head}{img(view.image, view.title)}{scale}</section>"


def show_layers(alphabet: Alphabet, res: Result) -> None:
    """Activation heatmaps of every layer, in order, as many per row as fit."""
    head, toggle = st.columns([3, 1], vertical_alignment="bottom")
    head.subheader("Inside the network", divider="gray")
    show_all = toggle.toggle("Show all feature maps", key="show_all", persist_state="session")
    legend = img(colorbar(160, 10), "colour scale")
    st.html(
        '<div class="hl" style="display: flex; gap: 1rem; align-items: center; flex-wrap: wrap">'
        '<p class="hl-note">Every layer\'s output for this drawing. Each small square of a convolution or pooling'
        " layer is one feature map; dense layers show one cell per unit. One colour scale per layer:</p>"
        f'<figure style="display: flex; gap: 0.5rem; align-items: center">'
        f'<span class="hl-note">low</span>{legend}<span class="hl-note">high</span></figure></div>'
    )
    views = layer_views(res.activations, max_maps=None if show_all else MAX_MAPS, width=HEATMAP_WIDTH)
    cards = "".join(layer_card(view, alphabet, res) for view in views)
    st.html(f'<div class="hl hl-layers">{cards}</div>')


@st.fragment
def lab(alphabet: Alphabet, model: str, mode: str) -> None:
    """Input, prediction, preprocessing and activations: after a stroke only this part reruns.

    The canvas comes first, so it takes strokes while the model is still loading on a cold start.
    """
    input_col, result_col = st.columns([1, 2], gap="large")
    with input_col:
        image = uploaded_image() if mode == "upload" else drawn_image()
    with result_col:
        rec = load_recognizer(alphabet, model)
        if rec is None:
            return
        if image is None:
            st.info(hint(alphabet, mode), icon="✏️")
            return
        try:
            res = rec.recognize(image)
        except ValueError as err:  # e.g. an upload smaller than 8 x 8 pixels
            st.error(f"**This image cannot be read as a character.** {err}", icon=":material/broken_image:")
            return
        if res.is_blank:
            st.info(f"{res.blank_reason} Draw {WHAT_TO_DRAW[alphabet.key]}.", icon="✏️")
            return
        show_prediction(alphabet, res)
        st.caption(model_note(rec))
        st.caption(
            "**How it works:** your drawing is cleaned up into a 28 x 28 picture like the training images"
            " (below), each layer of the network turns it into features (further below), and the last layer"
            " gives every character a probability."
        )
    show_steps(res)
    show_layers(alphabet, res)


def main() -> None:
    st.html(STYLE)
    st.title("✍️ Handwriting Lab")
    st.markdown(
        "Draw a character: after every stroke a neural network guesses what it is, "
        "and shows how it sees your drawing, layer by layer."
    )
    with st.container(horizontal=True, gap="medium"):
        alphabet = pick_alphabet()
        model = pick_model(alphabet)
        mode = pick_input()
    if alphabet.key == "runes":
        rune_chart()
    if model_missing(alphabet, model):
        return
    lab(alphabet, model, mode)


main()
