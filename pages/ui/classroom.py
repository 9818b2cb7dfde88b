"""Streamlit widgets of the Collect and Train pages: the drawings database, the training queue, nickname,
the alphabet choice with custom alphabets, and the collecting canvas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import streamlit as st

from recognizer.alphabets import ALPHABETS, Alphabet
from recognizer.drawings import DrawingStore, StoreError, database_url, picture_png, strokes_from_canvas
from recognizer.trainings import TrainingQueue, trained_models

from . import widgets
from .builders import percent
from .widgets import CANVAS_BACKGROUND

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "act",
    "clear_canvas",
    "collect_canvas",
    "new_alphabet",
    "nickname",
    "notice",
    "pick_collection",
    "queue",
    "reading",
    "show_notice",
    "store",
    "store_failed",
]

NICKNAME = "nickname"
COLLECTION = "collection"  # the alphabet chosen last on the Collect or Train page
NEW_ALPHABETS = "new_alphabets"  # alphabets made in this session: the alphabet choice starts anew after each


@st.cache_resource(show_spinner=False)
def _store(url: str) -> DrawingStore:
    return DrawingStore(engine=st.connection("drawings", type="sql", url=url).engine)


def store() -> DrawingStore | None:
    """The drawings database of this server (``HANDWRITING_LAB_DATABASE``), or None after saying why it cannot be
    opened."""
    try:
        return _store(database_url())
    except (StoreError, OSError) as err:
        store_failed(err)
        return None


def store_failed(err: Exception) -> None:
    """Say that the database failed; what the user drew stays where it is."""
    st.error(f"**The drawings database is not available.** {err}", icon=":material/database:")


@st.cache_resource(show_spinner=False)
def _queue(url: str) -> TrainingQueue:
    queue = TrainingQueue(_store(url), url)
    queue.start()
    return queue


def queue() -> TrainingQueue | None:
    """This server's training queue (its runner started once), or None after saying why it cannot be used."""
    try:
        return _queue(database_url())
    except (StoreError, OSError) as err:
        store_failed(err)
        return None


def nickname() -> str:
    """The writer's nickname, kept for the session; "" until given."""
    return st.text_input(
        "Your nickname",
        key=NICKNAME,
        max_chars=40,
        placeholder="e.g. Ada",
        help="Saved with each drawing, so that a model can be checked on writers it never saw.",
        persist_state="session",
    ).strip()


def pick_collection(db: DrawingStore, key: str) -> Alphabet | None:
    """A shipped or custom alphabet to collect or train, kept in the ``?alphabet=`` query parameter and, for going
    from one page to the other, in the session."""
    try:
        options = {a.key: a for a in [*ALPHABETS.values(), *db.custom_alphabets()]}
    except StoreError as err:
        store_failed(err)
        return None
    asked = st.query_params.get("alphabet", st.session_state.get(COLLECTION, next(iter(options))))
    chosen = st.selectbox(
        "Alphabet",
        list(options),
        index=list(options).index(asked) if asked in options else 0,
        format_func=lambda k: options[k].title + ("" if k in ALPHABETS else " (your own)"),
        key=f"{key}-{st.session_state.get(NEW_ALPHABETS, 0)}",  # a new one is chosen by a new widget
    )
    if st.query_params.get("alphabet") != chosen:
        st.query_params["alphabet"] = chosen
    st.session_state[COLLECTION] = chosen  # the other page opens with it too
    return options[chosen]


def collect_canvas() -> tuple[np.ndarray | None, list[np.ndarray], bytes]:
    """The collecting canvas (white pen on black): its RGBA picture, the pen strokes and the picture as a PNG
    (b"" while empty). Saving or Clear starts a new canvas (:func:`clear_canvas`)."""
    result = widgets.canvas(f"collect_canvas-{st.session_state.get('collect_generation', 0)}", pen=20)
    image, objects = result.image_data, (result.json_data or {}).get("objects", [])
    return image, strokes_from_canvas(objects), picture_png(image) if image is not None else b""


def reading(alphabet: Alphabet, image: np.ndarray) -> None:
    """What the alphabet's model (or the newest trained here) reads in the drawing: a hint for the writer, since
    the label saved is always the one asked for."""
    newest = trained_models(alphabet.key)[:1]
    model = alphabet.models[0] if alphabet.models else newest and widgets.TRAINED + str(newest[0])
    if not model or widgets.model_missing(alphabet, model):
        return
    rec = widgets.load_recognizer(alphabet, model)
    res = rec.recognize(image, CANVAS_BACKGROUND) if rec is not None else None
    if res is not None and not res.is_blank:
        label, p = res.top_k[0]
        said = f"none of these ({percent(res.none_probability)} sure)" if res.is_rejected else f"{label} ({percent(p)})"
        st.caption(f"The network reads: **{said}**", help=f"Model: {rec.card.name}")


NOTICE = "classroom_notice"  # (kind, text) a button's callback left for the page to show


def notice(kind: str, text: str) -> None:
    """Leave a message from a button's callback (which runs before the page) for :func:`show_notice`:
    ``kind`` is ``"error"``, ``"warning"`` or ``"success"``."""
    st.session_state[NOTICE] = (kind, text)


def show_notice() -> None:
    """The message a button's callback left, once, in a place that is there on every run: what comes after it
    keeps its place in the page, so that the canvas below is not made anew."""
    box = st.container()
    if kept := st.session_state.pop(NOTICE, None):
        kind, text = kept
        icons = {"error": ":material/error:", "warning": ":material/hourglass:", "success": ":material/check:"}
        getattr(box, kind)(text, icon=icons[kind])


def act(action, *args) -> None:
    """Run a database action from a button's callback; a failure is said on the page."""
    try:
        action(*args)
    except (ValueError, StoreError) as err:
        notice("error", str(err))


def _define(db: DrawingStore) -> None:
    try:
        alphabet = db.define(st.session_state.new_title, st.session_state.new_labels.replace("\n", ",").split(","))
    except (ValueError, StoreError) as err:
        notice("error", str(err))
        return
    st.query_params["alphabet"] = alphabet.key
    st.session_state[NEW_ALPHABETS] = st.session_state.get(NEW_ALPHABETS, 0) + 1
    notice("success", f"{alphabet.title} is ready: draw its first labels.")


def new_alphabet(db: DrawingStore) -> None:
    """A form to define an alphabet of one's own: a name and its labels."""
    with st.expander("Make an alphabet of your own", icon=":material/add:"), st.form("new_alphabet", border=False):
        st.text_input("Name of the alphabet", max_chars=40, placeholder="e.g. Shapes", key="new_title")
        st.text_area(
            "Labels, one per line or separated by commas (2 to 30)", placeholder="circle, star", key="new_labels"
        )
        st.form_submit_button("Make it", on_click=_define, args=(db,))


def clear_canvas() -> None:
    """A new, empty collecting canvas on the next run."""
    st.session_state.collect_generation = st.session_state.get("collect_generation", 0) + 1
