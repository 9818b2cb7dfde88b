"""The Your model page: check a Keras classifier trained elsewhere, find how it wants its input, and draw with it."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

import streamlit as st

from pages.ui import builders, widgets
from recognizer.alphabets import Alphabet
from recognizer.modelfile import MAX_MODEL_BYTES

# What differs between conventions that the MNIST one fixes (its shape and layout stay the model's own).
MNIST_LIKE = {"polarity": "light on dark", "value_range": (0.0, 1.0), "mean": 0.0, "std": 1.0, "transposed": False}

if TYPE_CHECKING:
    from recognizer.inference import Checked


def show_verdict(alphabet: Alphabet, checked: Checked, name: str) -> None:
    """What the check found, in words, with the trap it avoids."""
    found = checked.found
    if not found.works:
        st.warning(f"**{name}**: {found.verdict(alphabet)}", icon=":material/help:")
        return
    st.success(f"**{name}**: {found.verdict(alphabet)}", icon=":material/check_circle:")
    fed_like_mnist = replace(found.convention, **MNIST_LIKE)
    plain = next((a for c, a in found.table if c == fed_like_mnist), None)
    if plain is not None and found.convention != fed_like_mnist:
        st.markdown(
            f"Fed like MNIST (white ink on black, values from 0 to 1) it reads {builders.percent(plain)}:"
            " the classic trap of a model that 'always predicts one class' on real drawings."
        )
    for note in checked.notes:
        st.caption(f"Note: {note}")


def show_details(alphabet: Alphabet, checked: Checked) -> None:
    """Every convention tried, and the confusion matrix of the chosen one."""
    found = checked.found
    with st.expander(f"Every convention tried ({len(found.table)}, on {found.searched} probe drawings)"):
        rows = [{"accuracy": builders.percent(a), "convention": c.describe()} for c, a in found.table]
        st.dataframe(rows, hide_index=True, width="stretch")
    with st.expander(f"Confusion matrix on all {found.samples} probe drawings"):
        st.caption("Rows: the true class; columns: what the model said. Red: its most frequent mistakes.")
        st.dataframe(builders.confusion_table(found.confusion.tolist(), alphabet))
    if found.mistakes:
        with st.expander(f"Probe drawings it reads wrong ({len(found.mistakes)} shown, true → said)"):
            st.html(builders.mistakes_gallery(found.mistakes, alphabet))


def output_labels() -> list[str] | None:
    """The labels of the model's outputs in order, when the user gives them (the order found may be unclear)."""
    given = st.text_input(
        "The label of each output, in order, if the order found is unclear or wrong (comma-separated, - for none)",
        key="output_labels",
        placeholder="e.g. -,0,1,2,3,4,5,6,7,8,9 for an unused class 0",
    ).strip()
    return [v for v in given.replace(" ", ",").split(",") if v] if given else None


def pick_file(alphabet: Alphabet) -> tuple[str, Checked | None]:
    """A model file, uploaded or picked from the folder given on the command line, and its check."""
    folder = widgets.models_dir()
    files = sorted(p for p in folder.glob("*") if p.suffix in (".keras", ".h5")) if folder and folder.is_dir() else []
    if files:
        picked = st.selectbox(f"A model from {folder}", files, index=None, format_func=lambda p: p.name)
        if picked is not None:
            stamp, labels = (str(picked), picked.stat().st_mtime_ns), output_labels()
            return picked.name, widgets.check_model_file(alphabet, picked.name, stamp, path=picked, labels=labels)
    file = st.file_uploader(
        f"A Keras model file (.keras or .h5, up to {MAX_MODEL_BYTES // 2**20} MB)",
        type=["keras", "h5"],
        max_upload_size=MAX_MODEL_BYTES // 2**20,
        key="model_upload",
    )
    if file is None:
        st.info(f"Upload a classifier of {alphabet.noun} to check it.", icon=":material/upload_file:")
        return "", None
    key, labels = (file.name, file.file_id), output_labels()
    return file.name, widgets.check_model_file(alphabet, file.name, key, data=file.getvalue(), labels=labels)


def main() -> None:
    widgets.page("your model")
    st.title("Your model")
    st.markdown(
        "Trained a classifier of digits or letters yourself? Upload its Keras file: Handwriting Lab tries every"
        " common input convention (ink polarity, value range, placement, transposition) on its own labelled probe"
        " drawings, says which one the model was trained with, and lets you draw with it. Nothing in the file is"
        " run (no Lambda layers, no custom code), and the model stays in your session only."
    )
    alphabet = widgets.pick_alphabet()
    name, checked = pick_file(alphabet)
    if checked is None:
        return
    show_verdict(alphabet, checked, name)
    show_details(alphabet, checked)
    if checked.recognizer is not None and st.button("Draw with this model", icon=":material/draw:", type="primary"):
        st.session_state[widgets.DRAW_WITH] = widgets.YOURS
        st.switch_page("pages/draw.py")


main()
