"""The Why models fail page: the same drawing given to the network with one preparation step missing or done wrong."""

from __future__ import annotations

import streamlit as st

from pages.ui import builders, widgets
from recognizer.alphabets import Alphabet
from recognizer.explain import explain


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
        found = explain(rec, image, widgets.CANVAS_BACKGROUND) if image is not None else None  # one batch
        if found is None:
            st.info(f"Draw {alphabet.prompt}: here, or on the Draw page.", icon="✏️")
            return
        st.markdown(
            "**What the network gets, and what it says** :gray[· the first is prepared like its training images;"
            " each other one leaves out a step or does it wrong]"
        )
        st.html(
            builders.variants_strip(
                found.variants, found.variant_probabilities, rec.alphabet, rec.convention, found.variant_rejected
            )
        )
    st.subheader("How far can the drawing move?", divider="gray")
    st.markdown(
        "The prepared drawing rotated, shifted, scaled, thickened or thinned, blurred and made noisy, step by"
        " step: the lines are the model's probabilities, a red mark where its answer changes."
    )
    st.html(builders.sweeps_grid(found.sweeps, rec.alphabet))
    st.subheader("Why this and not that?", divider="gray")
    st.markdown(
        "Where the model finds its evidence for each of its top 3. **Occlusion**: a patch of the input covered"
        " at a time; red where covering it lowers that class, blue where the class does better without the ink."
        " **Grad-CAM**: the last convolution's maps weighted by how much they raise that class."
    )
    st.html(builders.saliency_cards(found.saliency, found.canonical, rec.alphabet))


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
