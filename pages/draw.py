"""The Draw page: draw or upload one character and watch the network recognise it, layer by layer.

After every stroke only the ``lab`` fragment reruns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from pages.ui import builders, widgets
from recognizer.alphabets import Alphabet

if TYPE_CHECKING:
    from recognizer.inference import Recognizer, Result

SURE = 0.8  # below this probability the prediction is shown as unsure (orange, with a warning)


def hint(alphabet: Alphabet, mode: str) -> str:
    """What to do on an empty canvas or before an upload."""
    if mode == "upload":
        return f"Upload a photo or scan of {alphabet.prompt}: one character, any ink colour on plain paper."
    return f"Draw {alphabet.prompt} on the black canvas, or upload a photo of one."


def show_prediction(alphabet: Alphabet, res: Result) -> None:
    """The winner, big, or "None of these", and the top 3 as a bar chart with their probabilities."""
    label, p = res.top_k[0]
    unsure = p < SURE
    winner_col, top_col = st.columns([2, 3])
    with winner_col:
        st.metric(
            "Prediction",
            "None of these" if res.is_rejected else label,
            delta=f"{builders.percent(res.none_probability if res.is_rejected else p)} sure",
            delta_color="gray" if res.is_rejected else "orange" if unsure else "green",
            delta_arrow="off",
            border=True,
        )
        i = alphabet.index(label)
        if alphabet.names[i] != label and not res.is_rejected:
            st.markdown(f"**{alphabet.names[i]}**, transliterated *{alphabet.transliterations[i]}*")
    with top_col:
        st.markdown("**Closest characters**" if res.is_rejected else "**Top 3**")
        st.html(builders.probability_bars(alphabet, res.top_k))
        if res.is_rejected:
            st.warning(
                f"This looks like none of the {alphabet.noun} to the network: besides them it learned"
                " scribbles, shapes and other alphabets' characters, and this drawing is more like those."
                f" Draw {alphabet.prompt}.",
                icon=":material/block:",
            )
        elif unsure:
            st.warning("Not sure: maybe none of these?", icon=":material/help:")


def show_steps(rec: Recognizer, res: Result) -> None:
    """Every preprocessing step side by side, ending with the 28 x 28 model input, large."""
    heading = (
        '<p><strong>What the network sees</strong> <span class="hl-note">· each step brings the drawing closer'
        " to the training images: white ink, centred in a 28 x 28 square</span></p>"
    )
    st.html(builders.steps_strip(res.steps, heading, rec.convention))


def show_layers(rec: Recognizer, res: Result) -> None:
    """Activation heatmaps of every layer, in order, as many per row as fit."""
    head, toggle = st.columns([3, 1], vertical_alignment="bottom")
    head.subheader("Inside the network", divider="gray")
    show_all = builders.has_hidden_maps(rec.layers) and toggle.toggle(
        "Show all feature maps", key="show_all", persist_state="session"
    )
    st.html(builders.legend() + builders.layer_cards(rec.layers, res.activations, rec.alphabet, show_all, rec.card))


@st.fragment
def lab(alphabet: Alphabet, model: str, mode: str) -> None:
    """Input, prediction, preprocessing and activations: after a stroke only this part reruns.

    The canvas comes first, so it takes strokes while the model is still loading on a cold start.
    """
    input_col, result_col = st.columns([1, 2], gap="large")
    with input_col:
        image = widgets.uploaded_image() if mode == "upload" else widgets.drawn_image()
    with result_col:
        rec = widgets.load_recognizer(alphabet, model)
        if rec is None:
            return
        if image is None:
            if not widgets.upload_refused(mode):  # a refused file already says why, beside it
                st.info(hint(alphabet, mode), icon="✏️")
            return
        try:
            res = rec.recognize(image, widgets.CANVAS_BACKGROUND if mode == "draw" else None)
        except ValueError as err:  # e.g. an upload smaller than 8 x 8 pixels
            st.error(f"**This image cannot be read as a character.** {err}", icon=":material/broken_image:")
            return
        if res.is_blank:
            ask = "Upload a photo of" if mode == "upload" else "Draw"
            st.info(f"{res.blank_reason} {ask} {alphabet.prompt}.", icon="✏️")
        else:
            show_prediction(alphabet, res)
        st.caption(builders.model_note(rec.card, rec.path))
        st.caption(
            "**How it works:** your drawing is cleaned up into a 28 x 28 picture like the training images"
            " (below), each layer of the network turns it into features (further below), and the last layer"
            " gives every character a probability."
        )
    show_steps(rec, res)  # also when blank: the steps up to where nothing was found show why
    if not res.is_blank:
        show_layers(rec, res)


def main() -> None:
    widgets.page("draw", canvas=True)
    widgets.heading(
        "✍️ Handwriting Lab",
        "Draw a character: after every stroke a neural network guesses what it is, "
        "and shows how it sees your drawing, layer by layer.",
    )
    with st.container(horizontal=True, gap="medium", key="controls"):
        alphabet = widgets.pick_alphabet(own=True)
        model = widgets.pick_model(alphabet)
        mode = widgets.pick_input()
    widgets.chart(alphabet)
    if widgets.model_missing(alphabet, model):
        return
    lab(alphabet, model, mode)


main()
