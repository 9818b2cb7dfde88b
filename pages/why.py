"""The Why models fail page: the same drawing given to the network with one preparation step missing or done wrong."""

from __future__ import annotations

import streamlit as st

from pages.ui import builders, widgets
from recognizer.alphabets import Alphabet
from recognizer.variants import failure_variants


@st.fragment
def lab(alphabet: Alphabet, model: str) -> None:
    """The drawing (the Draw page's, or drawn here) and what the model says of each variant: reruns per stroke."""
    input_col, result_col = st.columns([1, 2], gap="large")
    with input_col:
        image = widgets.drawn_image()
    with result_col:
        rec = widgets.load_recognizer(alphabet, model)
        if rec is None:
            return
        variants = failure_variants(image, rec.convention, widgets.CANVAS_BACKGROUND) if image is not None else None
        if variants is None:
            st.info(f"Draw {alphabet.prompt}: here, or on the Draw page.", icon="✏️")
            return
        probabilities = rec.classify_inputs([v.model_input for v in variants])  # one batch for all variants
        st.markdown(
            "**What the network gets, and what it says** :gray[· the first is prepared like its training images;"
            " each other one leaves out a step or does it wrong]"
        )
        st.html(builders.variants_strip(variants, probabilities, rec.alphabet, rec.convention))


def main() -> None:
    widgets.page("why", canvas=True)
    st.title("Why models fail")
    st.markdown(
        "A network with 99% test accuracy can call every drawing the same character when the drawing is not"
        " prepared like its training images. Here the same drawing goes to the network several ways at once."
    )
    with st.container(horizontal=True, gap="medium", key="controls"):
        alphabet = widgets.pick_alphabet()
        model = widgets.pick_model(alphabet)
    if widgets.model_missing(alphabet, model):
        return
    lab(alphabet, model)


main()
