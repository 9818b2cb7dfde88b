"""Collected drawings: a database of labelled drawings, the custom alphabets they belong to, export and import.

A drawing is what a person drew on the canvas for a prompted label: its pen strokes
(``(n, 2)`` float32 ``(x, y)`` canvas pixels, y down: the layout of the training data's
strokes) and the rendered picture as a PNG, with the writer's nickname and the time.

The database is any SQLAlchemy URL: SQLite in the data folder by default (WAL mode,
every confirmed save synced to disk), PostgreSQL when several app servers share it::

    store = DrawingStore(database_url())
    store.add("digits", "7", "ada", strokes, png)
    store.counts("digits")          # {'0': 0, ..., '7': 1, ...}
    store.export_npz("digits")      # bytes of an .npz with the training data's stroke layout

Every failure of the database itself (cannot be opened, locked too long, disk full)
is a :class:`StoreError` with a sentence a user can act on.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import sqlalchemy as sa

from .alphabets import ALPHABETS, Alphabet
from .paths import USER_DATA_DIR
from .preprocess import to_grayscale

__all__ = [
    "APP_DATABASE",
    "LABELS_PER_ALPHABET",
    "MAX_IMPORT_BYTES",
    "Drawing",
    "DrawingStore",
    "StoreError",
    "custom_alphabet",
    "database_url",
    "picture_png",
    "read_export",
    "render_png",
    "strokes_from_canvas",
]

APP_DATABASE = "app"
"""What names the app's own database (:func:`database_url`) where a source of drawings is asked for, so that no
password is on a command line or in a model card."""
LABELS_PER_ALPHABET = (2, 30)
"""Fewest and most labels of a custom alphabet."""
MAX_LABEL_CHARS = 20
MAX_NAME_CHARS = 40
MAX_IMPORT_BYTES = 50 * 2**20
"""Largest export file that can be imported back."""
SOURCE = "handwriting-lab"
"""The ``source`` of exported drawings (UNIPEN's institution column)."""


class StoreError(RuntimeError):
    """The database cannot do what was asked; the message says why and what to do."""


@dataclass(frozen=True)
class Drawing:
    """One saved drawing.

    Attributes
    ----------
    id : int
        Database id.
    alphabet, label, writer : str
        Alphabet key, the label it was drawn for, the writer's nickname.
    created : datetime
        When it was saved (UTC).
    strokes : tuple of np.ndarray
        Pen strokes, each ``(n, 2)`` float32 ``(x, y)``, y down; empty for an imported picture.
    png : bytes
        The drawing as a PNG, white ink on black.
    """

    id: int
    alphabet: str
    label: str
    writer: str
    created: datetime
    strokes: tuple[np.ndarray, ...]
    png: bytes


_metadata = sa.MetaData()
_alphabets = sa.Table(
    "alphabets",
    _metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("title", sa.String(MAX_NAME_CHARS * 4), nullable=False),
    sa.Column("labels", sa.Text, nullable=False),  # a JSON list
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)
_drawings = sa.Table(
    "drawings",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("alphabet", sa.String(64), nullable=False, index=True),
    sa.Column("label", sa.String(MAX_LABEL_CHARS * 4), nullable=False),
    sa.Column("writer", sa.String(MAX_NAME_CHARS * 4), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    sa.Column("strokes", sa.Text, nullable=False),  # JSON: a list of strokes, each a list of [x, y]
    sa.Column("png", sa.LargeBinary, nullable=False),
)


def database_url() -> str:
    """The database: ``HANDWRITING_LAB_DATABASE`` (any SQLAlchemy URL), else ``drawings.db`` (SQLite) in the
    data folder, :data:`recognizer.paths.USER_DATA_DIR`."""
    return os.environ.get("HANDWRITING_LAB_DATABASE") or f"sqlite:///{USER_DATA_DIR / 'drawings.db'}"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA synchronous=FULL")  # a confirmed save survives a crash, even of the machine
    cursor.execute("PRAGMA busy_timeout=15000")  # many sessions saving at once wait their turn
    cursor.close()


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
"""Control characters that are not white space: none belongs in a name, and PostgreSQL cannot keep a NUL."""


def _tidy(text: object) -> str:
    """A name as typed: control characters dropped, every run of white space one space, none at the ends."""
    return " ".join(_CONTROL.sub("", str(text)).split())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def custom_alphabet(title: str, labels: Sequence[str]) -> Alphabet:
    """A teacher's own alphabet: a name and 2 to 30 distinct labels (shapes, made-up symbols, words).

    >>> custom_alphabet("Shapes", ["circle", "square", "star"]).key
    'custom-shapes'

    Raises
    ------
    ValueError
        An empty or too long name or label, a repeated label, too few or too many labels.
    """
    title = _tidy(title)
    labels = [_tidy(label) for label in labels]
    labels = [label for label in labels if label]
    low, high = LABELS_PER_ALPHABET
    if not title:
        raise ValueError("Give the alphabet a name.")
    if len(title) > MAX_NAME_CHARS:
        raise ValueError(f"The name is {len(title)} characters long; at most {MAX_NAME_CHARS}.")
    if not _slug(title):
        raise ValueError("The name needs at least one letter or digit.")
    if title.lower() in {a.title.lower() for a in ALPHABETS.values()} | set(ALPHABETS):
        raise ValueError(f"{title!r} is a shipped alphabet; choose another name.")
    if not low <= len(labels) <= high:
        raise ValueError(f"An alphabet needs {low} to {high} labels; this one has {len(labels)}.")
    repeated = sorted({label for label in labels if labels.count(label) > 1})
    if repeated:
        raise ValueError(f"Every label must be different; repeated: {', '.join(repeated)}.")
    if too_long := [label for label in labels if len(label) > MAX_LABEL_CHARS]:
        raise ValueError(f"Labels are at most {MAX_LABEL_CHARS} characters: {too_long[0]!r} is longer.")
    return Alphabet(
        f"custom-{_slug(title)}",
        title,
        tuple(labels),
        tuple(labels),
        tuple(labels),
        models=(),
        button=title,
        prompt="one of: " + ", ".join(labels),
    )


def strokes_from_canvas(objects: Sequence[dict[str, Any]]) -> list[np.ndarray]:
    """The pen strokes of a drawing canvas's objects (``st_canvas(...).json_data["objects"]``).

    Free-drawn paths are fabric.js path commands (``M``, ``Q``, ``L``) in canvas pixels;
    each becomes one ``(n, 2)`` float32 stroke of its end points. Other objects are skipped.

    >>> strokes_from_canvas([{"type": "path", "path": [["M", 1, 2], ["Q", 1, 2, 3, 4], ["L", 5, 6]]}])[0].tolist()
    [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]
    """
    strokes = []
    for obj in objects:
        if obj.get("type") != "path":
            continue
        points = [command[-2:] for command in obj.get("path", ()) if len(command) >= 3]
        if points:
            strokes.append(np.asarray(points, np.float32).reshape(-1, 2))
    return strokes


def _strokes_json(strokes: Sequence[np.ndarray]) -> str:
    return json.dumps([np.round(np.asarray(s, np.float64), 1).tolist() for s in strokes], separators=(",", ":"))


def _strokes(text: str) -> tuple[np.ndarray, ...]:
    return tuple(np.asarray(s, np.float32).reshape(-1, 2) for s in json.loads(text))


class DrawingStore:
    """Drawings, custom alphabets and their counts in one SQLAlchemy database.

    Parameters
    ----------
    url : str, optional
        A SQLAlchemy URL; default :func:`database_url`.
    engine : sqlalchemy.Engine, optional
        An engine made elsewhere (``st.connection("drawings", type="sql").engine``); ``url`` is then ignored.

    Raises
    ------
    StoreError
        The database cannot be opened or its tables cannot be made.
    """

    def __init__(self, url: str | None = None, engine: sa.Engine | None = None) -> None:
        engine = engine or sa.create_engine(url or database_url())
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)  # SQLite makes the file only
        self.engine = engine
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_pragmas)
            engine.dispose()  # connections made before the listener get the pragmas too
        with self.transaction("open the drawings database") as conn:
            _metadata.create_all(conn)

    def __repr__(self) -> str:
        return f"DrawingStore({self.engine.url.render_as_string(hide_password=True)!r})"

    @contextmanager
    def transaction(self, doing: str) -> Iterator[sa.Connection]:
        """A connection in a transaction, committed at the end; a database failure becomes a :class:`StoreError`
        saying "Could not <doing>: why"."""
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.OperationalError as err:
            text = str(err.orig or err).lower()
            if "full" in text or "no space" in text:
                why = "the disk or database is full; nothing was saved. Free some space and try again."
            elif "locked" in text or "busy" in text:
                why = "the database is busy; nothing was saved. Try again in a moment."
            else:
                why = f"the database cannot be reached ({str(err.orig or err).splitlines()[0]})."
            raise StoreError(f"Could not {doing}: {why}") from err
        except sa.exc.DatabaseError as err:
            raise StoreError(
                f"Could not {doing}: the database file is damaged or not a database ({err.orig})."
            ) from err

    # ---- custom alphabets -------------------------------------------------

    def define(self, title: str, labels: Sequence[str]) -> Alphabet:
        """Keep a custom alphabet (:func:`custom_alphabet`); an existing one of that name keeps its labels.

        Raises
        ------
        ValueError
            The name or labels cannot make an alphabet, or another alphabet has that name with other labels.
        """
        alphabet = custom_alphabet(title, labels)
        if (kept := self.alphabet(alphabet.key)) is not None:
            if kept.labels != alphabet.labels:
                raise ValueError(f"There is already an alphabet called {kept.title!r}, with other labels.")
            return kept
        with self.transaction("keep the alphabet") as conn:
            conn.execute(
                _alphabets.insert().values(
                    key=alphabet.key,
                    title=alphabet.title,
                    labels=json.dumps(alphabet.labels, ensure_ascii=False),
                    created=datetime.now(UTC),
                )
            )
        return alphabet

    def custom_alphabets(self) -> list[Alphabet]:
        """Every custom alphabet, oldest first."""
        with self.transaction("read the alphabets") as conn:
            rows = conn.execute(sa.select(_alphabets).order_by(_alphabets.c.created)).all()
        return [custom_alphabet(row.title, json.loads(row.labels)) for row in rows]

    def alphabet(self, key: str) -> Alphabet | None:
        """A shipped or custom alphabet by key, or None."""
        if key in ALPHABETS:
            return ALPHABETS[key]
        return next((a for a in self.custom_alphabets() if a.key == key), None)

    # ---- drawings ---------------------------------------------------------

    def add(self, alphabet: str, label: str, writer: str, strokes: Sequence[np.ndarray], png: bytes) -> int:
        """Save one drawing; returns its id once it is safely stored.

        Raises
        ------
        ValueError
            Unknown alphabet, a label not in it, no writer nickname, or nothing drawn.
        StoreError
            The database could not store it.
        """
        spec = self.alphabet(alphabet)
        writer = _tidy(writer)[: MAX_NAME_CHARS * 2]
        if spec is None:
            raise ValueError(f"Unknown alphabet {alphabet!r}.")
        if label not in spec.labels:
            raise ValueError(f"{label!r} is not a label of {spec.title}.")
        if not writer:
            raise ValueError("Give a nickname, so that your drawings can be told from others'.")
        if not png:
            raise ValueError("Nothing was drawn.")
        with self.transaction("save the drawing") as conn:
            return int(
                conn.execute(
                    _drawings.insert().values(
                        alphabet=spec.key,
                        label=label,
                        writer=writer,
                        created=datetime.now(UTC),
                        strokes=_strokes_json(strokes),
                        png=png,
                    )
                ).inserted_primary_key[0]
            )

    def delete(self, ids: Sequence[int], writer: str | None = None) -> int:
        """Delete drawings by id (only ``writer``'s when given); returns how many went."""
        query = _drawings.delete().where(_drawings.c.id.in_([int(i) for i in ids]))
        if writer is not None:
            query = query.where(_drawings.c.writer == writer)
        with self.transaction("delete the drawings") as conn:
            return conn.execute(query).rowcount

    def delete_writer(self, alphabet: str, writer: str) -> int:
        """Delete every drawing of ``writer`` in ``alphabet``; returns how many went."""
        query = _drawings.delete().where((_drawings.c.alphabet == alphabet) & (_drawings.c.writer == writer))
        with self.transaction("delete the drawings") as conn:
            return conn.execute(query).rowcount

    def counts(self, alphabet: Alphabet, writer: str | None = None) -> dict[str, int]:
        """Drawings per label, in the alphabet's order (only ``writer``'s when given)."""
        query = sa.select(_drawings.c.label, sa.func.count()).where(_drawings.c.alphabet == alphabet.key)
        if writer is not None:
            query = query.where(_drawings.c.writer == writer)
        with self.transaction("count the drawings") as conn:
            found = dict(conn.execute(query.group_by(_drawings.c.label)).all())
        return {label: int(found.get(label, 0)) for label in alphabet.labels}

    def writers(self, alphabet: str) -> dict[str, int]:
        """Drawings per writer, most first."""
        query = (
            sa.select(_drawings.c.writer, sa.func.count().label("n"))
            .where(_drawings.c.alphabet == alphabet)
            .group_by(_drawings.c.writer)
            .order_by(sa.desc("n"), _drawings.c.writer)
        )
        with self.transaction("count the drawings") as conn:
            return {w: int(n) for w, n in conn.execute(query).all()}

    def drawings(self, alphabet: str, writer: str | None = None, limit: int | None = None) -> list[Drawing]:
        """Drawings of an alphabet, newest first (only ``writer``'s when given; at most ``limit``)."""
        query = sa.select(_drawings).where(_drawings.c.alphabet == alphabet)
        if writer is not None:
            query = query.where(_drawings.c.writer == writer)
        query = query.order_by(_drawings.c.id.desc()).limit(limit)
        with self.transaction("read the drawings") as conn:
            rows = conn.execute(query).all()
        return [
            Drawing(r.id, r.alphabet, r.label, r.writer, _utc(r.created), _strokes(r.strokes), bytes(r.png))
            for r in rows
        ]

    # ---- export and import ------------------------------------------------

    def export_npz(self, alphabet: str) -> bytes:
        """The alphabet's drawings as an ``.npz`` with the training data's stroke layout.

        Keys: ``labels``, ``source``, ``writer`` (N,) str, ``n_strokes`` (N,) int32,
        ``stroke_len`` (S,) int32, ``points`` (P, 2) float32 (canvas pixels, y down), as in
        ``unipen_dev.npz``; also ``alphabet`` (the key), ``created`` (N,) ISO times, and the pictures:
        ``png`` (B,) uint8, every PNG file one after the other, ``png_len`` (N,) their sizes.
        Only plain arrays: reading it back never unpickles anything.
        """
        found = self.drawings(alphabet)[::-1]
        strokes = [s for d in found for s in d.strokes]
        arrays = {
            "alphabet": np.array(alphabet),
            "labels": np.array([d.label for d in found], dtype=str),
            "source": np.array([SOURCE] * len(found), dtype=str),
            "writer": np.array([d.writer for d in found], dtype=str),
            "n_strokes": np.array([len(d.strokes) for d in found], np.int32),
            "stroke_len": np.array([len(s) for s in strokes], np.int32),
            "points": np.concatenate(strokes).astype(np.float32) if strokes else np.zeros((0, 2), np.float32),
            "created": np.array([d.created.isoformat() for d in found], dtype=str),
            "png_len": np.array([len(d.png) for d in found], np.int64),
            "png": np.frombuffer(b"".join(d.png for d in found), np.uint8),
        }
        out = io.BytesIO()
        np.savez_compressed(out, **arrays)
        return out.getvalue()

    def export_zip(self, alphabet: str) -> bytes:
        """The alphabet's drawings as PNGs in a zip: ``<label>/<writer>-<id>.png``, and ``drawings.json``
        with every drawing's label, writer, time and strokes."""
        out = io.BytesIO()
        found = self.drawings(alphabet)[::-1]
        index = []
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for d in found:
                name = f"{_slug(d.label) or 'label'}/{_slug(d.writer) or 'writer'}-{d.id}.png"
                archive.writestr(name, d.png)
                index.append(
                    {
                        "file": name,
                        "label": d.label,
                        "writer": d.writer,
                        "created": d.created.isoformat(),
                        "strokes": json.loads(_strokes_json(d.strokes)),
                    }
                )
            archive.writestr("drawings.json", json.dumps({"alphabet": alphabet, "drawings": index}, indent=1))
        return out.getvalue()

    def import_file(self, data: bytes, name: str, alphabet: Alphabet) -> int:
        """Add the drawings of an export (:meth:`export_npz` or :meth:`export_zip`) to ``alphabet``.

        Drawings whose label is not in the alphabet are skipped. Returns how many were added.

        Raises
        ------
        ValueError
            The file is too large, not an export, or has no drawing for this alphabet's labels.
        """
        items = read_export(data, name)
        items = [item for item in items if item[0] in alphabet.labels and item[3]]
        if not items:
            raise ValueError(f"{name} has no drawing of {alphabet.title}'s labels.")
        now = datetime.now(UTC)
        rows = [
            {
                "alphabet": alphabet.key,
                "label": label,
                "writer": _tidy(writer)[: MAX_NAME_CHARS * 2] or "imported",
                "created": created or now,
                "strokes": _strokes_json(strokes),
                "png": png,
            }
            for label, writer, strokes, png, created in items
        ]
        with self.transaction("import the drawings") as conn:
            conn.execute(_drawings.insert(), rows)
        return len(rows)


_Item = tuple[str, str, list[np.ndarray], bytes, datetime | None]


def read_export(data: bytes, name: str) -> list[_Item]:
    """The drawings in an export file (:meth:`DrawingStore.export_npz` or :meth:`DrawingStore.export_zip`):
    ``(label, writer, strokes, png, created)`` each. Nothing in the file is run or unpickled.

    Raises
    ------
    ValueError
        The file is too large or not an export.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ValueError(f"The file is {len(data) / 2**20:.0f} MB; at most {MAX_IMPORT_BYTES // 2**20} MB.")
    try:
        return _read_npz(data) if name.lower().endswith(".npz") else _read_zip(data)
    except (ValueError, KeyError, OSError, zipfile.BadZipFile, json.JSONDecodeError, TypeError) as err:
        raise ValueError(
            f"{name} is not a drawings export of Handwriting Lab (an .npz or .zip made by Export): {err}."
            if isinstance(err, KeyError)
            else f"{name} is not a drawings export of Handwriting Lab (an .npz or .zip made by Export)."
        ) from None


def _utc(when: datetime) -> datetime:
    """A time in UTC; a time without a zone (SQLite keeps none) already is."""
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _time(text: str) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return None


def _read_npz(data: bytes) -> list[_Item]:
    with np.load(io.BytesIO(data), allow_pickle=False) as f:
        arrays = {k: f[k] for k in f.files}
    pngs = []
    if "png" in arrays:
        ends = np.cumsum(arrays["png_len"])
        pngs = [arrays["png"][e - n : e].tobytes() for e, n in zip(ends, arrays["png_len"], strict=True)]
    starts = np.concatenate([[0], np.cumsum(arrays["n_strokes"])])
    point_starts = np.concatenate([[0], np.cumsum(arrays["stroke_len"])])
    strokes = [arrays["points"][point_starts[j] : point_starts[j + 1]] for j in range(len(arrays["stroke_len"]))]
    created = arrays.get("created", [""] * len(arrays["labels"]))
    items = []
    for i, (label, writer) in enumerate(zip(arrays["labels"], arrays["writer"], strict=True)):
        own = strokes[starts[i] : starts[i + 1]]
        png = pngs[i] if i < len(pngs) else b""
        items.append((str(label), str(writer), own, png or render_png(own), _time(str(created[i]))))
    return items


def _read_zip(data: bytes) -> list[_Item]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        index = json.loads(archive.read("drawings.json"))["drawings"]
        return [
            (
                str(d["label"]),
                str(d.get("writer", "")),
                [np.asarray(s, np.float32).reshape(-1, 2) for s in d.get("strokes", [])],
                archive.read(d["file"]),
                _time(d.get("created", "")),
            )
            for d in index
        ]


def picture_png(image: np.ndarray) -> bytes:
    """The canvas's picture (uint8 HxW, HxWx3 or HxWx4) as a greyscale PNG, b"" when nothing is drawn on it.

    >>> picture_png(np.zeros((4, 4, 4), np.uint8))
    b''
    """
    gray = to_grayscale(np.asarray(image, np.uint8))
    if gray.max() == gray.min():
        return b""
    return cv2.imencode(".png", gray)[1].tobytes()


def render_png(strokes: Sequence[np.ndarray], size: int = 280, width: int = 20) -> bytes:
    """A PNG of strokes the way the app's canvas draws them: a white round pen ``width`` pixels wide on black,
    ``size`` x ``size`` pixels (b"" without strokes)."""
    if not strokes:
        return b""
    image = np.zeros((size, size), np.uint8)
    for s in strokes:
        cv2.polylines(image, [np.round(s).astype(np.int32)], False, 255, width, cv2.LINE_AA)
    return cv2.imencode(".png", image)[1].tobytes()
