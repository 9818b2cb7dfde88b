"""Training data sources: MNIST, UNIPEN pen strokes, and turning drawings into model inputs.

Every source ends as (N, 28, 28) float32 canonical images made by the same
:func:`recognizer.preprocess.preprocess` that the app runs on a drawing, so the
model is trained on exactly what it will see.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from ..alphabets import Alphabet
from ..preprocess import MODEL_SIZE, preprocess
from .render import render_strokes

__all__ = [
    "EMPTY",
    "Dataset",
    "Unipen",
    "load_mnist",
    "load_unipen",
    "model_input",
    "prepare",
    "truncated",
    "writer_split",
]


@dataclass(frozen=True)
class Dataset:
    """Model inputs with class indices.

    Attributes
    ----------
    x : np.ndarray
        (N, 28, 28) float32 in [0, 1] (rows: (N, 28, 140)).
    y : np.ndarray
        (N,) int32 class indices into the alphabet's labels (rows: (N, 5), one per position).
    """

    x: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    def __add__(self, other: Dataset) -> Dataset:
        return Dataset(np.concatenate([self.x, other.x]), np.concatenate([self.y, other.y]))


EMPTY = Dataset(np.zeros((0, MODEL_SIZE, MODEL_SIZE), np.float32), np.zeros(0, np.int32))
"""A dataset with no samples: the start of ``sum(parts, EMPTY)``."""


# --- MNIST -------------------------------------------------------------------------------------------------------


def _read_idx(path: Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped), the original MNIST format."""
    raw = (gzip.open if path.suffix == ".gz" else open)(path, "rb").read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte IDX file")
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: expected {shape} values, found {data.size}")
    return data.reshape(shape)


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz", stem.replace("-idx", ".idx"), stem.replace("-idx", ".idx") + ".gz"):
        if (folder / name).exists():
            return folder / name
    raise FileNotFoundError(f"{folder}: no {stem}[.gz]")


def load_mnist(source: str | Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Load MNIST as ``((x_train, y_train), (x_test, y_test))``, x uint8 (N, 28, 28), y uint8 (N,).

    Parameters
    ----------
    source : str or Path
        An ``.npz`` in the ``keras.datasets.mnist`` layout, or a folder with the
        original IDX files (``train-images-idx3-ubyte[.gz]`` and so on).
    """
    source = Path(source)
    if source.is_dir():
        parts = [
            _read_idx(_find_idx(source, f"{s}-{k}"))
            for s in ("train", "t10k")
            for k in ("images-idx3-ubyte", "labels-idx1-ubyte")
        ]
        return (parts[0], parts[1]), (parts[2], parts[3])
    with np.load(source) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])


# --- UNIPEN --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Unipen:
    """UNIPEN isolated characters as pen strokes (see ``shared/data/README.md`` for the layout).

    Attributes
    ----------
    labels, writers, sources : np.ndarray
        (N,) str: the character, the writer file id, the institution code.
    """

    labels: np.ndarray
    writers: np.ndarray
    sources: np.ndarray
    n_strokes: np.ndarray
    stroke_len: np.ndarray
    points: np.ndarray

    def __len__(self) -> int:
        return len(self.labels)

    def strokes(self, i: int) -> list[np.ndarray]:
        """The pen strokes of sample ``i``: a list of (n, 2) float32 arrays, x right and y down."""
        s0 = self._stroke_start[i]
        starts, lens = self._point_start[s0 : s0 + self.n_strokes[i]], self.stroke_len[s0 : s0 + self.n_strokes[i]]
        return [self.points[p : p + n] for p, n in zip(starts, lens, strict=True)]

    @cached_property
    def _stroke_start(self) -> np.ndarray:
        return _offsets(self.n_strokes)

    @cached_property
    def _point_start(self) -> np.ndarray:
        return _offsets(self.stroke_len)

    def subset(self, index: np.ndarray) -> list[list[np.ndarray]]:
        """The strokes of the samples at ``index``."""
        return [self.strokes(int(i)) for i in index]

    @cached_property
    def truncated(self) -> np.ndarray:
        """(N,) bool: samples that are a fragment of their character (:func:`truncated`), to leave out."""
        single = np.flatnonzero(self.n_strokes == 1)
        found = np.zeros(len(self), bool)
        found[single] = [truncated(self.strokes(int(i)), str(self.labels[i])) for i in single]
        return found


ONE_LINE = frozenset("1IilL")
"""Characters that can be one straight pen stroke, as their class: a bare l is the letters' L."""
STRAIGHT = 0.1
"""A stroke is straight when no point is further from the line between its ends than this share of its length."""


def truncated(strokes: Sequence[np.ndarray], label: str) -> bool:
    """Whether a sample is a fragment of its character: one straight stroke labelled as one that never is.

    Some UNIPEN institutions' files (``ibm`` above all: a quarter of its Hs, Xs and 4s) keep only the first
    stroke of a character, so a dash is labelled 4 and a slanted line X. Nobody could read them; training
    and validation leave them out. A straight stroke is a whole 1, I or l only when it stands more upright
    than level: a level dash labelled 1 is the base of one.

    Parameters
    ----------
    strokes : sequence of np.ndarray
        The pen strokes, each (n, 2).
    label : str
        The character the sample is labelled as.

    >>> line = [np.array([[0.0, 0.0], [1.0, 5.0], [2.0, 10.0]])]
    >>> truncated(line, "X"), truncated(line, "1"), truncated([line[0][:, ::-1]], "1")  # upright, then level
    (True, False, True)
    >>> truncated([np.array([[0.0, 0.0], [5.0, 5.0], [0.0, 10.0]])], "X")  # bent: it could be a whole character
    False
    """
    if len(strokes) != 1:
        return False
    points = np.asarray(strokes[0], np.float64)
    chord = points[-1] - points[0]
    length = float(np.hypot(*chord))
    if length == 0 or length < 0.5 * float(np.ptp(points, axis=0).max()):  # a dot, or a stroke that turns back
        return False
    normal = np.array([-chord[1], chord[0]]) / length
    straight = np.abs((points - points[0]) @ normal).max() <= STRAIGHT * length
    return bool(straight and (label not in ONE_LINE or abs(chord[0]) > abs(chord[1])))


def _offsets(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)


def load_unipen(path: str | Path) -> Unipen:
    """Load ``unipen_dev.npz`` (pen strokes, labels, writers; format in the data README)."""
    with np.load(path) as d:
        return Unipen(d["labels"], d["writer"], d["source"], d["n_strokes"], d["stroke_len"], d["points"])


def writer_split(writers: np.ndarray, validation: float = 0.15) -> np.ndarray:
    """True for samples whose writer belongs to the validation split.

    The split is by writer, never by sample, and stable: a writer's side is
    decided by a hash of its id, so it does not depend on the data's order.
    """
    unique, inverse = np.unique(writers, return_inverse=True)
    cut = int(validation * 2**32)
    is_val = np.array([int.from_bytes(hashlib.sha1(w.encode()).digest()[:4], "big") < cut for w in unique])
    return is_val[inverse]


def model_input(image: np.ndarray, background: float | None) -> np.ndarray | None:
    """The single-character pipeline: (28, 28) float32 in [0, 1], or None when the drawing comes out blank."""
    pre = preprocess(image, background=background)
    return None if pre.is_blank else pre.model_input


def _prepare_chunk(args: tuple[list, int, Callable | None, Callable]) -> tuple[np.ndarray, np.ndarray]:
    items, seed, draw, to_input = args
    rng = np.random.default_rng(seed)
    inputs: list[np.ndarray | None] = []
    for item in items:
        drawn = draw(item, rng) if draw is not None else render_strokes(item, rng)
        image, background = drawn if isinstance(drawn, tuple) else (drawn, None)
        inputs.append(to_input(image, background))
    shape = next((x.shape for x in inputs if x is not None), (MODEL_SIZE, MODEL_SIZE))
    x = np.stack([np.zeros(shape, np.float32) if v is None else v for v in inputs]).astype(np.float32)
    return x, np.array([v is not None for v in inputs], bool)


def prepare(
    items: Sequence,
    labels: np.ndarray,
    seed: int,
    draw: Callable[[object, np.random.Generator], np.ndarray] | None = None,
    workers: int | None = None,
    to_input: Callable[[np.ndarray, float | None], np.ndarray | None] = model_input,
) -> Dataset:
    """Render items and preprocess them into model inputs, dropping any that come out blank.

    Parameters
    ----------
    items : sequence
        Stroke lists (for :func:`render_strokes`) or whatever ``draw`` takes.
    labels : np.ndarray
        (N,) int class indices, or (N, K) for several per item.
    seed : int
        Seed of the rendering randomness; the result does not depend on ``workers``.
    draw : callable, optional
        ``draw(item, rng) -> uint8 image``, or ``(image, background grey level)`` for a
        drawing on a known background such as the app's canvas; default
        :func:`render_strokes`. Must be picklable.
    workers : int, optional
        Processes to use (default: all cores).
    to_input : callable
        ``to_input(image, background) -> input or None`` (blank); default :func:`model_input`. Must be picklable.
    """
    chunk = 2000
    jobs = [(list(items[i : i + chunk]), seed * 100_003 + i, draw, to_input) for i in range(0, len(items), chunk)]
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 1:
        with ProcessPoolExecutor(workers) as pool:
            results = list(pool.map(_prepare_chunk, jobs))
    else:
        results = [_prepare_chunk(job) for job in jobs]
    if not results:
        return EMPTY
    x = np.concatenate([r[0] for r in results])
    ok = np.concatenate([r[1] for r in results])
    return Dataset(x[ok], np.asarray(labels, np.int32)[ok])


def label_indices(alphabet: Alphabet, labels: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
    """Map characters to class indices; returns (indices, mask of characters in the alphabet)."""
    lookup = {label: i for i, label in enumerate(alphabet.labels)}
    if alphabet.case_insensitive:
        lookup.update({label.lower(): i for label, i in list(lookup.items())})
    idx = np.array([lookup.get(str(c), -1) for c in labels], np.int32)
    return idx, idx >= 0
