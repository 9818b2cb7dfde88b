"""The store of collected drawings (recognizer.drawings), on SQLite and on PostgreSQL: saving, counting, deleting,
custom alphabets, export and import (nothing in a file is ever unpickled), databases that cannot be opened or are
full, and saves that survive the saving process being killed."""

from __future__ import annotations

import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postgres import postgres_server  # noqa: F401  (the session's PostgreSQL server, a fixture)

from recognizer import drawings
from recognizer.alphabets import ALPHABETS, Alphabet
from recognizer.drawings import (
    LABELS_PER_ALPHABET,
    Drawing,
    DrawingStore,
    StoreError,
    custom_alphabet,
    database_url,
    strokes_from_canvas,
)

ROOT = Path(__file__).resolve().parents[1]
DIGITS = ALPHABETS["digits"]
BACKENDS = ["sqlite", "postgresql"]

SEVEN = [np.array([[10.0, 10.0], [50.0, 10.0], [25.5, 60.0]], np.float32)]
PLUS = [np.array([[30.0, 5.0], [30.0, 55.0]], np.float32), np.array([[5.0, 30.0], [55.5, 30.0]], np.float32)]
ONE = [np.array([[30.0, 5.0], [30.0, 20.0], [30.0, 40.0], [30.0, 55.0]], np.float32)]


def png_of(strokes: list[np.ndarray], size: int = 64) -> bytes:
    """A small PNG of strokes, white on black like the canvas."""
    image = np.zeros((size, size), np.uint8)
    for s in strokes:
        cv2.polylines(image, [np.round(s).astype(np.int32)], False, 255, 4, cv2.LINE_AA)
    return cv2.imencode(".png", image)[1].tobytes()


# --- stores on every backend -------------------------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def new_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """Makes URLs of new, empty databases of one backend (PostgreSQL: a database of the session's server)."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        return server.new_database
    names = iter(range(1000))
    return lambda: f"sqlite:///{tmp_path / f'drawings{next(names)}.db'}"


@pytest.fixture
def new_store(new_url: Callable[[], str]) -> Iterator[Callable[[], DrawingStore]]:
    """Makes stores on new, empty databases; their connections are closed after the test."""
    made: list[DrawingStore] = []

    def make() -> DrawingStore:
        made.append(DrawingStore(new_url()))
        return made[-1]

    yield make
    for store in made:
        store.engine.dispose()


@pytest.fixture
def store(new_store: Callable[[], DrawingStore]) -> DrawingStore:
    """An empty store, on SQLite and on PostgreSQL."""
    return new_store()


def add(store: DrawingStore, label: str = "7", writer: str = "ada", strokes=SEVEN, alphabet: str = "digits") -> int:
    return store.add(alphabet, label, writer, strokes, png_of(strokes))


def same_strokes(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# --- custom alphabets --------------------------------------------------------------------------------------------


def test_a_custom_alphabet_has_a_key_from_its_name_and_its_labels_in_order() -> None:
    shapes = custom_alphabet("  My   Shapes! ", ["circle", " square ", "big   star"])
    assert isinstance(shapes, Alphabet)
    assert shapes.key == "custom-my-shapes" and shapes.title == "My Shapes!"
    assert shapes.labels == shapes.names == shapes.transliterations == ("circle", "square", "big star")
    assert shapes.models == () and "circle" in shapes.prompt


def test_labels_made_only_of_spaces_are_dropped() -> None:
    assert custom_alphabet("Shapes", ["a", "  ", "", "\t", "b"]).labels == ("a", "b")


@pytest.mark.parametrize(
    "title, labels, fragment",
    [
        ("", ["a", "b"], "name"),
        ("   ", ["a", "b"], "name"),
        ("x" * 41, ["a", "b"], "at most"),
        ("!!!", ["a", "b"], "letter or digit"),
        ("Digits", ["a", "b"], "shipped"),
        ("digits", ["a", "b"], "shipped"),
        (" LATIN letters", ["a", "b"], "shipped"),
        ("runes", ["a", "b"], "shipped"),
        ("Shapes", ["a"], "labels"),
        ("Shapes", ["a", " ", ""], "labels"),
        ("Shapes", [str(i) for i in range(31)], "labels"),
        ("Shapes", ["a", "b", "a"], "different"),
        ("Shapes", ["a", "b  c", "b c"], "different"),
        ("Shapes", ["a", "x" * 21], "at most"),
    ],
)
def test_custom_alphabet_refusals_say_what_is_wrong(title: str, labels: list[str], fragment: str) -> None:
    with pytest.raises(ValueError, match=f"(?i){fragment}"):
        custom_alphabet(title, labels)


def test_the_fewest_and_most_labels_make_an_alphabet() -> None:
    low, high = LABELS_PER_ALPHABET
    assert len(custom_alphabet("Few", [str(i) for i in range(low)]).labels) == low
    assert len(custom_alphabet("Many", [str(i) for i in range(high)]).labels) == high


@settings(max_examples=300, deadline=None)
@given(title=st.text(max_size=50), labels=st.lists(st.text(max_size=25), max_size=33))
def test_any_name_and_labels_make_an_alphabet_or_a_value_error(title: str, labels: list[str]) -> None:
    try:
        alphabet = custom_alphabet(title, labels)
    except ValueError as err:
        assert str(err)
        return
    low, high = LABELS_PER_ALPHABET
    assert low <= len(alphabet.labels) <= high and len(set(alphabet.labels)) == len(alphabet.labels)
    assert alphabet.key.startswith("custom-") and alphabet.key not in ALPHABETS and alphabet.title


def test_define_keeps_an_alphabet_and_finds_it_by_key(store: DrawingStore) -> None:
    shapes = store.define("Shapes", ["circle", "square"])
    assert store.alphabet(shapes.key) == shapes
    assert store.custom_alphabets() == [shapes]
    assert store.alphabet("digits") is DIGITS and store.alphabet("custom-nothing") is None


def test_define_with_the_same_name_and_labels_returns_the_kept_one(store: DrawingStore) -> None:
    kept = store.define("Shapes", ["circle", "square"])
    again = store.define("  shapes ", ["circle", "square"])
    assert again == kept and again.title == "Shapes"
    assert store.custom_alphabets() == [kept]


def test_define_with_the_same_name_and_other_labels_is_refused(store: DrawingStore) -> None:
    store.define("Shapes", ["circle", "square"])
    with pytest.raises(ValueError, match="already"):
        store.define("Shapes", ["circle", "star"])
    with pytest.raises(ValueError, match="already"):
        store.define("Shapes", ["square", "circle"])  # the order of the labels is the model's output order
    assert [a.labels for a in store.custom_alphabets()] == [("circle", "square")]


def test_custom_alphabets_come_oldest_first(store: DrawingStore) -> None:
    made = [store.define(title, ["a", "b"]) for title in ("Zebra", "Apple", "Mango")]
    assert store.custom_alphabets() == made


def test_a_custom_alphabet_collects_drawings(store: DrawingStore) -> None:
    runes = store.define("Made-up runes", ["ᚠ", "ᚢ ᚢ", "ψ"])
    add(store, "ᚢ ᚢ", alphabet=runes.key)
    assert store.counts(runes) == {"ᚠ": 0, "ᚢ ᚢ": 1, "ψ": 0}
    assert [d.label for d in store.drawings(runes.key)] == ["ᚢ ᚢ"]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=st.text(max_size=45), labels=st.lists(st.text(max_size=22), max_size=4), writer=st.text(max_size=90))
def test_any_names_are_kept_or_refused_with_a_value_error_on_every_database(
    store: DrawingStore, title: str, labels: list[str], writer: str
) -> None:
    """Whatever people type (control characters too), the store keeps it or says what is wrong with it."""
    try:
        alphabet = store.define(title, labels)
    except ValueError:
        alphabet = None
    if alphabet is not None:
        assert store.alphabet(alphabet.key) == alphabet
    try:
        i = store.add("digits", "7", writer, SEVEN, b"png")
    except ValueError as err:
        assert "nickname" in str(err)
        return
    (saved,) = store.drawings("digits", limit=1)
    assert saved.id == i and saved.writer and store.writers("digits")[saved.writer] >= 1


def test_names_with_control_characters_are_kept_without_them(store: DrawingStore) -> None:
    """A NUL or an escape in a pasted name: PostgreSQL cannot keep a NUL, so no name, label or nickname has any."""
    shapes = store.define("Sha\x00pes\x1b", ["ci\x00rcle", "squ\x07are", "\x00"])
    assert shapes.title == "Shapes" and shapes.labels == ("circle", "square")
    assert store.alphabet(shapes.key) == shapes
    add(store, "circle", "a\x00da\x7f", alphabet=shapes.key)
    assert [d.writer for d in store.drawings(shapes.key)] == ["ada"]
    with pytest.raises(ValueError, match="nickname"):
        add(store, writer="\x00\x01")


# --- saving, counting, reading, deleting -------------------------------------------------------------------------


def test_add_saves_a_drawing_and_returns_its_id(store: DrawingStore) -> None:
    before = datetime.now(UTC)
    png = png_of(PLUS)
    i = store.add("digits", "4", "  ada   lovelace ", PLUS, png)
    (saved,) = store.drawings("digits")
    assert isinstance(saved, Drawing) and isinstance(i, int)
    assert (saved.id, saved.alphabet, saved.label, saved.writer) == (i, "digits", "4", "ada lovelace")
    assert same_strokes(saved.strokes, PLUS) and all(s.dtype == np.float32 for s in saved.strokes)
    assert saved.png == png
    assert saved.created.tzinfo is not None and saved.created.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= saved.created <= datetime.now(UTC) + timedelta(seconds=1)


def test_strokes_are_kept_to_a_tenth_of_a_pixel(store: DrawingStore) -> None:
    strokes = [np.array([[1.23456, 2.98], [100.04, 0.0]], np.float32)]
    add(store, strokes=strokes)
    np.testing.assert_allclose(store.drawings("digits")[0].strokes[0], [[1.2, 3.0], [100.0, 0.0]], atol=1e-5)


def test_a_long_nickname_is_shortened(store: DrawingStore) -> None:
    add(store, writer="w" * 500)
    assert store.drawings("digits")[0].writer == "w" * 80


@pytest.mark.parametrize(
    "alphabet, label, writer, png, fragment",
    [
        ("klingon", "7", "ada", b"png", "Unknown alphabet"),
        ("custom-shapes", "7", "ada", b"png", "Unknown alphabet"),
        ("digits", "A", "ada", b"png", "not a label"),
        ("digits", "77", "ada", b"png", "not a label"),
        ("digits", "7", "", b"png", "nickname"),
        ("digits", "7", " \t ", b"png", "nickname"),
        ("digits", "7", "ada", b"", "Nothing was drawn"),
    ],
)
def test_add_refuses_what_cannot_be_a_drawing(
    store: DrawingStore, alphabet: str, label: str, writer: str, png: bytes, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        store.add(alphabet, label, writer, SEVEN, png)
    assert store.drawings(alphabet) == []


def test_counts_are_per_label_in_the_alphabets_order(store: DrawingStore) -> None:
    for label, writer in [("7", "ada"), ("7", "bob"), ("1", "ada"), ("7", "ada")]:
        add(store, label, writer)
    add(store, "A", "ada", alphabet="letters")
    counts = store.counts(DIGITS)
    assert list(counts) == list(DIGITS.labels)
    assert counts == {**dict.fromkeys(DIGITS.labels, 0), "7": 3, "1": 1}
    assert store.counts(DIGITS, writer="bob") == {**dict.fromkeys(DIGITS.labels, 0), "7": 1}
    assert store.counts(ALPHABETS["letters"])["A"] == 1


def test_writers_are_counted_most_first(store: DrawingStore) -> None:
    for writer in ["cy", "ada", "bob", "bob", "cy", "bob"]:
        add(store, writer=writer)
    add(store, "A", "zed", alphabet="letters")
    assert list(store.writers("digits").items()) == [("bob", 3), ("cy", 2), ("ada", 1)]
    assert store.writers("letters") == {"zed": 1} and store.writers("runes") == {}


def test_drawings_come_newest_first_by_writer_and_up_to_a_limit(store: DrawingStore) -> None:
    ids = [add(store, label, writer) for label, writer in [("1", "ada"), ("2", "bob"), ("3", "ada"), ("4", "ada")]]
    add(store, "A", "ada", alphabet="letters")
    assert [d.id for d in store.drawings("digits")] == ids[::-1]
    assert [d.label for d in store.drawings("digits", writer="ada")] == ["4", "3", "1"]
    assert [d.label for d in store.drawings("digits", limit=2)] == ["4", "3"]
    assert [d.label for d in store.drawings("digits", writer="bob", limit=5)] == ["2"]
    assert store.drawings("digits", writer="nobody") == [] and store.drawings("runes") == []


def test_delete_removes_drawings_by_id(store: DrawingStore) -> None:
    ids = [add(store, label) for label in "123"]
    assert store.delete([ids[0], ids[2], 10**6]) == 2
    assert [d.id for d in store.drawings("digits")] == [ids[1]]
    assert store.delete([]) == 0 and store.delete([ids[0]]) == 0


def test_delete_with_a_writer_removes_only_that_writers_drawings(store: DrawingStore) -> None:
    mine, theirs = add(store, writer="ada"), add(store, writer="bob")
    assert store.delete([mine, theirs], writer="ada") == 1
    assert [d.id for d in store.drawings("digits")] == [theirs]


def test_delete_writer_removes_a_writers_drawings_of_one_alphabet(store: DrawingStore) -> None:
    for writer in ["ada", "bob", "ada"]:
        add(store, writer=writer)
    add(store, "A", "ada", alphabet="letters")
    assert store.delete_writer("digits", "ada") == 2
    assert store.writers("digits") == {"bob": 1} and store.writers("letters") == {"ada": 1}
    assert store.delete_writer("digits", "ada") == 0


# --- export and import -------------------------------------------------------------------------------------------


def test_export_npz_has_the_training_datas_stroke_layout(store: DrawingStore) -> None:
    for label, writer, strokes in [("7", "ada", SEVEN), ("4", "bob", PLUS), ("1", "ada", ONE)]:
        add(store, label, writer, strokes)
    with np.load(io.BytesIO(store.export_npz("digits")), allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    assert {"labels", "source", "writer", "n_strokes", "stroke_len", "points"} <= set(arrays)
    assert arrays["labels"].tolist() == ["7", "4", "1"]  # oldest first, like the data
    assert arrays["writer"].tolist() == ["ada", "bob", "ada"]
    assert arrays["source"].tolist() == ["handwriting-lab"] * 3
    assert arrays["labels"].dtype.kind == arrays["writer"].dtype.kind == arrays["source"].dtype.kind == "U"
    assert arrays["n_strokes"].dtype == arrays["stroke_len"].dtype == np.int32
    assert arrays["points"].dtype == np.float32 and arrays["points"].shape == (3 + 2 + 2 + 4, 2)
    assert arrays["n_strokes"].tolist() == [1, 2, 1] and arrays["stroke_len"].tolist() == [3, 2, 2, 4]
    # The data README: sample i owns strokes s0[i]:s0[i]+n_strokes[i], stroke j owns points p0[j]:p0[j]+stroke_len[j]
    s0 = np.concatenate([[0], np.cumsum(arrays["n_strokes"])[:-1]])
    p0 = np.concatenate([[0], np.cumsum(arrays["stroke_len"])[:-1]])
    for i, strokes in enumerate([SEVEN, PLUS, ONE]):
        own = [
            arrays["points"][p0[j] : p0[j] + arrays["stroke_len"][j]]
            for j in range(s0[i], s0[i] + arrays["n_strokes"][i])
        ]
        assert same_strokes(own, strokes)
    assert arrays["png_len"].sum() == arrays["png"].size and arrays["png"].dtype == np.uint8


def test_export_npz_of_no_drawings_is_empty(store: DrawingStore) -> None:
    with np.load(io.BytesIO(store.export_npz("runes")), allow_pickle=False) as f:
        assert f["labels"].shape == (0,) and f["points"].shape == (0, 2)


@pytest.mark.parametrize("export, name", [("export_npz", "drawings.npz"), ("export_zip", "drawings.zip")])
def test_an_export_imports_back_with_the_same_strokes_and_pictures(
    new_store: Callable[[], DrawingStore], export: str, name: str
) -> None:
    source, target = new_store(), new_store()
    for label, writer, strokes in [("7", "ada", SEVEN), ("4", "bob", PLUS), ("1", "ada lovelace", ONE)]:
        add(source, label, writer, strokes)
    add(source, "A", "ada", alphabet="letters")
    data = getattr(source, export)("digits")
    assert target.import_file(data, name, DIGITS) == 3
    old, new = source.drawings("digits"), target.drawings("digits")
    assert [(d.label, d.writer, d.png) for d in new] == [(d.label, d.writer, d.png) for d in old]
    assert all(same_strokes(a.strokes, b.strokes) for a, b in zip(old, new, strict=True))
    assert [d.created for d in new] == [d.created for d in old]
    assert target.drawings("letters") == []


def test_export_zip_holds_a_png_per_drawing_and_an_index(store: DrawingStore) -> None:
    i = add(store, "7", "Ada L.", SEVEN)
    with zipfile.ZipFile(io.BytesIO(store.export_zip("digits"))) as archive:
        index = json.loads(archive.read("drawings.json"))
        assert index["alphabet"] == "digits"
        (entry,) = index["drawings"]
        assert entry["file"] == f"7/ada-l-{i}.png" and entry["label"] == "7" and entry["writer"] == "Ada L."
        assert archive.read(entry["file"]) == png_of(SEVEN)
        assert same_strokes([np.asarray(s, np.float32) for s in entry["strokes"]], SEVEN)


def test_import_keeps_only_the_alphabets_labels(new_store: Callable[[], DrawingStore]) -> None:
    source, target = new_store(), new_store()
    shapes = source.define("Shapes", ["circle", "square", "star"])
    for label in ["circle", "star", "star"]:
        add(source, label, alphabet=shapes.key)
    fewer = target.define("Shapes", ["star", "moon"])
    assert target.import_file(source.export_npz(shapes.key), "shapes.npz", fewer) == 2
    assert target.counts(fewer) == {"star": 2, "moon": 0}


def test_a_file_in_the_training_datas_layout_imports_with_pictures_drawn_from_its_strokes(store: DrawingStore) -> None:
    """A UNIPEN-style .npz has strokes but no pictures: import draws them like the canvas."""
    strokes = [SEVEN, PLUS]
    flat = [s for drawing in strokes for s in drawing]
    out = io.BytesIO()
    np.savez(
        out,
        labels=np.array(["7", "4"]),
        source=np.array(["x", "x"]),
        writer=np.array(["w1", "w2"]),
        n_strokes=np.array([1, 2], np.int32),
        stroke_len=np.array([len(s) for s in flat], np.int32),
        points=np.concatenate(flat),
    )
    assert store.import_file(out.getvalue(), "unipen.npz", DIGITS) == 2
    for drawing, expected in zip(store.drawings("digits"), strokes[::-1], strict=True):
        assert same_strokes(drawing.strokes, expected)
        picture = cv2.imdecode(np.frombuffer(drawing.png, np.uint8), cv2.IMREAD_GRAYSCALE)
        assert picture is not None and picture.max() == 255 and picture[0, 0] == 0


@pytest.mark.parametrize("name", ["drawings.npz", "drawings.zip", "drawings.NPZ", "photo.png"])
def test_import_refuses_garbage(store: DrawingStore, name: str) -> None:
    garbage = np.random.default_rng(0).bytes(5000)
    with pytest.raises(ValueError, match="not a drawings export"):
        store.import_file(garbage, name, DIGITS)
    assert store.drawings("digits") == []


def test_import_refuses_an_npz_or_zip_without_drawings(store: DrawingStore) -> None:
    out = io.BytesIO()
    np.savez(out, x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="not a drawings export"):
        store.import_file(out.getvalue(), "mnist.npz", DIGITS)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("7/ada-1.png", png_of(SEVEN))
    with pytest.raises(ValueError, match="not a drawings export"):
        store.import_file(out.getvalue(), "pictures.zip", DIGITS)


def test_import_refuses_a_file_too_large(store: DrawingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    add(store)
    data = store.export_npz("digits")
    monkeypatch.setattr(drawings, "MAX_IMPORT_BYTES", len(data) - 1)
    with pytest.raises(ValueError, match="at most"):
        store.import_file(data, "drawings.npz", DIGITS)
    assert len(store.drawings("digits")) == 1


def test_import_refuses_a_file_with_none_of_the_alphabets_labels(new_store: Callable[[], DrawingStore]) -> None:
    source, target = new_store(), new_store()
    add(source, "7")
    for export, name in [(source.export_npz, "d.npz"), (source.export_zip, "d.zip")]:
        with pytest.raises(ValueError, match="no drawing of Latin letters"):
            target.import_file(export("digits"), name, ALPHABETS["letters"])
        with pytest.raises(ValueError, match="no drawing"):
            target.import_file(export("runes"), name, DIGITS)  # an export of nothing
    assert target.drawings("letters") == target.drawings("digits") == []


class _WritesMarker:
    """Unpickling this opens (so creates) the marker file: proof that a pickle was run."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return open, (str(self.marker), "w")


def test_import_never_unpickles_an_object_array(store: DrawingStore, tmp_path: Path) -> None:
    import pickle

    proof = tmp_path / "proof-that-unpickling-runs-it"
    pickle.loads(pickle.dumps(_WritesMarker(proof))).close()
    assert proof.exists()  # the payload does what the test says it does

    marker = tmp_path / "unpickled"
    out = io.BytesIO()
    np.savez(
        out,
        labels=np.array([_WritesMarker(marker)], dtype=object),
        source=np.array(["x"]),
        writer=np.array(["w"]),
        n_strokes=np.array([1], np.int32),
        stroke_len=np.array([3], np.int32),
        points=SEVEN[0],
    )
    with pytest.raises(ValueError, match="not a drawings export"):
        store.import_file(out.getvalue(), "evil.npz", DIGITS)
    assert not marker.exists()
    assert store.drawings("digits") == []


# --- canvas strokes, the database URL, the store itself ----------------------------------------------------------


def test_strokes_from_canvas_takes_the_end_points_of_every_path() -> None:
    objects = [
        {"type": "path", "path": [["M", 1, 2], ["Q", 1, 2, 3.5, 4], ["L", 5, 6]]},
        {"type": "rect", "left": 0, "top": 0},
        {"type": "path", "path": [["M", 10, 20], ["Z"]]},
        {"type": "path", "path": []},
        {"path": [["M", 7, 7]]},
    ]
    strokes = strokes_from_canvas(objects)
    assert [s.tolist() for s in strokes] == [[[1, 2], [3.5, 4], [5, 6]], [[10, 20]]]
    assert all(s.dtype == np.float32 and s.shape[1] == 2 for s in strokes)
    assert strokes_from_canvas([]) == []


def test_database_url_is_the_environments_or_sqlite_in_the_data_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDWRITING_LAB_DATABASE", "postgresql+psycopg://lab@db/drawings")
    assert database_url() == "postgresql+psycopg://lab@db/drawings"
    monkeypatch.delenv("HANDWRITING_LAB_DATABASE")
    assert database_url().startswith("sqlite:///") and database_url().endswith("/drawings.db")


def test_a_store_without_a_url_opens_the_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    path = tmp_path / "new" / "folder" / "drawings.db"
    monkeypatch.setenv("HANDWRITING_LAB_DATABASE", f"sqlite:///{path}")
    store = DrawingStore()
    add(store)
    store.engine.dispose()
    assert path.is_file() and str(path) in repr(store)


def test_a_store_uses_an_engine_made_elsewhere(new_url: Callable[[], str], tmp_path: Path) -> None:
    engine = sa.create_engine(new_url())
    store = DrawingStore(f"sqlite:///{tmp_path / 'ignored' / 'drawings.db'}", engine=engine)
    assert store.engine is engine
    add(store)
    assert len(DrawingStore(engine=engine).drawings("digits")) == 1
    engine.dispose()
    assert not (tmp_path / "ignored").exists()


def test_sqlite_keeps_a_write_ahead_log_and_syncs_every_save(tmp_path: Path) -> None:
    store = DrawingStore(f"sqlite:///{tmp_path / 'drawings.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    store.engine.dispose()


def test_repr_names_the_database_but_not_its_password(new_url: Callable[[], str]) -> None:
    url = sa.make_url(new_url())
    if url.get_backend_name() == "postgresql":
        url = url.set(password="secret")  # the test server trusts local connections whatever the password
    store = DrawingStore(url.render_as_string(hide_password=False))
    assert (url.database or "") in repr(store) and "secret" not in repr(store)
    store.engine.dispose()


# --- databases that fail -----------------------------------------------------------------------------------------


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Could not open the drawings database") as err:
        DrawingStore(f"sqlite:///{tmp_path}")
    assert "\n" not in str(err.value) and "cannot be reached" in str(err.value)


def test_a_file_of_random_bytes_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "drawings.db"
    path.write_bytes(np.random.default_rng(1).bytes(8192))
    with pytest.raises(StoreError, match="damaged or not a database"):
        DrawingStore(f"sqlite:///{path}")


def test_a_server_that_is_not_there_cannot_be_reached() -> None:
    with pytest.raises(StoreError, match="cannot be reached"):
        DrawingStore("postgresql+psycopg://lab@127.0.0.1:1/drawings?connect_timeout=2")


def test_a_full_database_refuses_the_drawing_and_keeps_every_earlier_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'drawings.db'}"
    store = DrawingStore(url)

    @sa.event.listens_for(store.engine, "connect")
    def _small(connection, _record) -> None:
        connection.execute("PRAGMA max_page_count = 40")  # 160 kB at 4 kB pages

    store.engine.dispose()
    picture = np.random.default_rng(2).bytes(3000)  # noise does not compress: every drawing takes its room
    saved = []
    with pytest.raises(StoreError, match="full") as err:
        for _ in range(200):
            saved.append(store.add("digits", "7", "ada", SEVEN, picture))
    assert "nothing was saved" in str(err.value) and len(saved) >= 10
    store.engine.dispose()

    reopened = DrawingStore(url)
    assert [d.id for d in reopened.drawings("digits")] == saved[::-1]
    assert reopened.add("digits", "1", "ada", ONE, b"png") > saved[-1]  # without the limit there is room again
    reopened.engine.dispose()
    with sqlite3.connect(tmp_path / "drawings.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


# --- durability --------------------------------------------------------------------------------------------------

CHILD = """
import sys
import numpy as np
from recognizer.drawings import DrawingStore

store = DrawingStore(sys.argv[1])
strokes = [np.array([[1.0, 2.0], [30.0, 40.5]], np.float32)]
n = 0
while True:
    n += 1
    i = store.add("digits", str(n % 10), "writer %d" % (n % 3), strokes, bytes([n % 256]) * 2000)
    print(i, flush=True)
"""


def test_every_confirmed_save_survives_the_process_being_killed(new_url: Callable[[], str], tmp_path: Path) -> None:
    url = new_url()
    DrawingStore(url).engine.dispose()  # the tables exist before the child starts
    errors = tmp_path / "child.err"
    with errors.open("wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD, url], cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True
        )
    watchdog = threading.Timer(30, child.kill)
    watchdog.start()
    confirmed = []
    try:
        while len(confirmed) < 30 and (line := child.stdout.readline()):
            confirmed.append(int(line))
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        confirmed += [int(line) for line in child.stdout.read().split()]  # printed before the kill
    finally:
        watchdog.cancel()
        child.stdout.close()
    assert len(confirmed) >= 30, errors.read_text()
    assert child.returncode == -signal.SIGKILL

    store = DrawingStore(url)
    found = {d.id: d for d in store.drawings("digits")}
    assert set(confirmed) <= set(found)
    assert all(found[i].png == bytes([found[i].png[0]]) * 2000 and len(found[i].strokes) == 1 for i in confirmed)
    assert store.add("digits", "7", "ada", SEVEN, b"png") > max(found)
    store.engine.dispose()
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
