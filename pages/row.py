"""The Row page: write a number or a word on a wide canvas and watch up to four ways of reading it compete."""

from __future__ import annotations

import streamlit as st

from pages.ui import builders, widgets
from recognizer.alphabets import Alphabet
from recognizer.card import ModelFileError
from recognizer.reading import METHOD_TITLES, Reading, methods

WHEN = (
    "**When each wins.** The two row networks need no cutting, so touching, overlapping and broken digits cost them"
    " nothing: the sequence network reads every few columns and wins on handwritten numbers of any length, while the"
    " multi-head network, whose heads each look where one digit stands, counts best and reads MNIST tiles pasted side"
    " by side best, but reads at most five digits. Segmentation cuts the row into pieces and lets"
    " the single-character network judge every way of grouping them, so it wins when characters stand apart and is"
    " the only one that reads letters; the sliding window needs no cutting either, yet the gaps between characters"
    " fool it."
)


def read(rec, image, method: str) -> Reading | ModelFileError:
    """One method's reading, or why its model cannot be used."""
    try:
        return rec.read(image, method, widgets.CANVAS_BACKGROUND)
    except ModelFileError as err:
        return err


def show_readings(rec, image, alphabet: Alphabet) -> None:
    """Every method's reading, two side by side: text and confidence, boxes, inputs; the heads' probabilities."""
    readings = {method: read(rec, image, method) for method in methods(alphabet)}
    if readings["segment"].blank_reason:
        st.info(f"{readings['segment'].blank_reason} Write a few characters in a row.", icon="✏️")
        return
    cells = [column for _ in range(0, len(readings), 2) for column in st.columns(2, gap="medium")]
    for column, (method, reading) in zip(cells, readings.items(), strict=False):  # two by two: room for the table
        with column:
            if isinstance(reading, ModelFileError):
                st.error(f"**{METHOD_TITLES[method]}: its model cannot be used.** {reading}", icon=":material/error:")
                continue
            st.metric(
                METHOD_TITLES[reading.method],
                reading.text or "nothing",
                delta=f"{builders.percent(reading.p)} sure" if reading.text else "no character found",
                delta_color="gray",
                delta_arrow="off",
                border=True,
            )
            st.html(builders.reading_card(reading, image, alphabet))
            if reading.positions is not None:
                st.html(builders.position_table(reading.positions, alphabet))


def main() -> None:
    widgets.page("row", canvas=True)
    widgets.heading(
        "Read a row",
        "Write a number or a short word from left to right. Four ways of reading a row of characters compete:"
        " one network reading every few columns, one with a head per position, cutting the row into characters,"
        " and a window sliding along it. The two networks read digits only.",
    )
    with st.container(horizontal=True, gap="medium", key="controls"):
        alphabet = widgets.pick_alphabet()
    if widgets.model_missing(alphabet, alphabet.models[0]):
        return
    st.caption("✏️ Write here, left to right (on a phone, hold it sideways)")
    image = widgets.row_drawing()
    rec = widgets.load_recognizer(alphabet, alphabet.models[0])
    if rec is None:
        return
    if image is None:
        st.info(f"Write a few characters of the {alphabet.noun} in a row.", icon="✏️")
        return
    show_readings(rec, image, alphabet)
    st.markdown(WHEN)


main()
