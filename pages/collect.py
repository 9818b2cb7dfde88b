"""The Collect page: draw the character asked for, save it with your nickname, and watch a class's collection grow.

Every button acts in its callback, before the page runs again, so a click is never lost to a rerun.
"""

from __future__ import annotations

import random

import streamlit as st

from pages.ui import builders, classroom, widgets
from recognizer.alphabets import Alphabet
from recognizer.drawings import DrawingStore, StoreError
from recognizer.trainings import MIN_PER_LABEL

SAVED = "collect_saved"  # ids this session saved, for "Undo last save"
PROMPT = "collect_prompt"  # (alphabet key, label) being asked for
JUST_SAVED = "collect_just_saved"  # the label Save saved: its fragment reruns the whole page, which says so


def prompt(db: DrawingStore, alphabet: Alphabet, writer: str) -> str:
    """The label to draw: one of those this writer has drawn least, kept until saved or skipped."""
    kept = st.session_state.get(PROMPT)
    if kept and kept[0] == alphabet.key and kept[1] in alphabet.labels:
        return kept[1]
    mine = db.counts(alphabet, writer)
    fewest = min(mine.values())
    choices = [label for label, n in mine.items() if n == fewest and (not kept or label != kept[1])]
    label = random.choice(choices or list(alphabet.labels))
    st.session_state[PROMPT] = (alphabet.key, label)
    return label


def skip() -> None:
    """Ask for another label (one drawn as little), not this one."""
    kept = st.session_state.get(PROMPT)
    st.session_state[PROMPT] = (None, kept[1]) if kept else None


def save(db: DrawingStore, alphabet: Alphabet, label: str, writer: str, strokes: list, png: bytes) -> None:
    """Save the drawing and start a new one; on failure it stays on the canvas and the page says why."""
    try:
        saved = db.add(alphabet.key, label, writer, strokes, png)
    except (ValueError, StoreError) as err:
        classroom.notice("error", f"**Not saved.** {err} Your drawing is still on the canvas.")
        return
    st.session_state.setdefault(SAVED, []).append(saved)
    st.session_state[JUST_SAVED] = label
    st.session_state.pop(PROMPT, None)
    classroom.clear_canvas()


def import_file(db: DrawingStore, alphabet: Alphabet) -> None:
    upload = st.session_state.get("import")
    if upload is not None:
        added = db.import_file(upload.getvalue(), upload.name, alphabet)
        classroom.notice("success", f"Imported {added} drawings from {upload.name}.")


def undo(db: DrawingStore, writer: str) -> None:
    db.delete([st.session_state[SAVED].pop()], writer)
    classroom.notice("success", "Your last drawing is deleted.")


def delete_mine(db: DrawingStore, alphabet: Alphabet, writer: str) -> None:
    gone = db.delete_writer(alphabet.key, writer)
    st.session_state[SAVED] = []
    classroom.notice("success", f"Deleted your {gone} drawings.")


def collection(db: DrawingStore, alphabet: Alphabet, writer: str) -> None:
    """Counts per label, undo, the latest drawings, export and import, deleting one's own."""
    counts, mine = db.counts(alphabet), db.counts(alphabet, writer)
    drawings, writers = builders.amount(sum(counts.values()), "drawing"), len(db.writers(alphabet.key))
    st.markdown(f"**The collection** :gray[· {drawings} by {builders.amount(writers, 'writer')}]")
    st.html(builders.count_bars(counts, mine, MIN_PER_LABEL))
    st.caption(f"Training needs {MIN_PER_LABEL} drawings of every label; orange: still short.")
    if st.session_state.get(SAVED):
        st.button("Undo last save", icon=":material/undo:", on_click=classroom.act, args=(undo, db, writer))
    if recent := db.drawings(alphabet.key, limit=12):
        st.markdown("**Latest drawings**")
        st.html(builders.drawings_gallery(recent))
    with st.expander("Export and import", icon=":material/swap_vert:"):
        st.download_button("Export as .npz (pen strokes)", lambda: db.export_npz(alphabet.key),
                           f"{alphabet.key}-drawings.npz", on_click="ignore")  # fmt: skip
        st.download_button("Export as .zip of PNGs", lambda: db.export_zip(alphabet.key),
                           f"{alphabet.key}-drawings.zip", on_click="ignore")  # fmt: skip
        st.file_uploader("Import an export (.npz or .zip)", type=["npz", "zip"], key="import")
        st.button(
            "Import these drawings", icon=":material/upload:", on_click=classroom.act, args=(import_file, db, alphabet)
        )
    if total := sum(mine.values()):
        with st.expander(f"Delete my drawings ({total})", icon=":material/delete:"):
            sure = st.checkbox(f"Yes, delete all {total} drawings {writer} saved for {alphabet.title}")
            st.button("Delete them", type="primary", disabled=not sure, on_click=classroom.act,
                      args=(delete_mine, db, alphabet, writer))  # fmt: skip


@st.fragment
def drawing(db: DrawingStore, alphabet: Alphabet, writer: str) -> None:
    """The prompt, the canvas, Save and what the network reads: a stroke reruns only this; a save, the page."""
    if JUST_SAVED in st.session_state:
        st.rerun()  # the counts and the latest drawings beside it too
    label = prompt(db, alphabet, writer)
    st.markdown(f"### Draw: {alphabet.describe(label)}")
    image, strokes, png = classroom.collect_canvas()
    with st.container(horizontal=True):
        st.button("Save", type="primary", icon=":material/save:", disabled=not png, on_click=save,
                  args=(db, alphabet, label, writer, strokes, png))  # fmt: skip
        st.button("Clear", icon=":material/delete:", on_click=classroom.clear_canvas, key="collect_clear")
        st.button("Something else", on_click=skip)
    if png:
        classroom.reading(alphabet, image)


def main() -> None:
    widgets.page("collect")
    widgets.heading(
        "Collect drawings",
        "Draw the character asked for and save it: a class's drawings become the data a network learns from"
        " on the Train page. Your nickname goes with each drawing, so a model is tested on writers it never saw.",
    )
    db = classroom.store()
    if db is None:
        return
    with st.container(horizontal=True, gap="medium", key="controls"):
        alphabet = classroom.pick_collection(db, "collect_alphabet")
        writer = classroom.nickname()
    if alphabet is None:
        return
    classroom.new_alphabet(db)
    classroom.show_notice()
    if saved := st.session_state.pop(JUST_SAVED, None):
        st.toast(f"Saved your {saved}.", icon=":material/check:")
    if not writer:
        st.info("Give your nickname to start: it is saved with each drawing.", icon=":material/badge:")
        return
    draw_col, info_col = st.columns([1, 2], gap="large")
    try:
        with draw_col:
            drawing(db, alphabet, writer)
        with info_col:
            collection(db, alphabet, writer)
    except StoreError as err:
        classroom.store_failed(err)


main()
