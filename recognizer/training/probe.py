"""The probe set shipped in ``models/probe.npz``: a few labelled drawings of each digit and letter.

:mod:`recognizer.check` tries every plausible input convention of an unknown
model on these drawings and keeps the one under which the model reads them
best, so they have to be real handwriting, labelled right, drawn the way the app
draws (white ink on black) and small enough to ship. They are:

- ``digits_x``, ``digits_y``: UNIPEN digits, ``per_class`` of each;
- ``letters_x``, ``letters_y``: UNIPEN letters, ``per_class`` of each, about
  half capitals and half small letters, labelled with the capital;
- ``mnist_x``, ``mnist_y``: the first ``mnist / 10`` images of each digit in
  MNIST test, as stored (28x28, white on black);
- ``description``: JSON saying where every part came from.

Only training writers are used (:func:`~recognizer.training.datasets.unipen_parts`:
not the held-out institutions, not the held-out writers of the others), so no UNIPEN probe
drawing is in any shipped model's validation set (the MNIST slice, by design, is
part of the digits models' MNIST test validation). Within a class, samples are
taken round-robin over writers in a seeded random order: every writer gives one
sample before any writer gives a second, and writers with fewer samples in the
classes taken before come first. Capitals and small letters alternate within a
letter class, so the first few of any class, which the check compares conventions
on, are a mix of writers and cases.

UNIPEN strokes are drawn by :func:`draw_probe`, a deliberately plain renderer: a
round anti-aliased brush of 3 to 5 pixels, pure white (255) on pure black (0), the
character's long side (ink edge to ink edge) at 60-85% of a 64x64 canvas, near
the centre with a few pixels of jitter, no paper, no noise, no polarity flip. A
sample whose drawing :func:`~recognizer.preprocess.preprocess` finds blank is
passed over for the next.

Build it with ``python -m recognizer.training.probe [--data-dir DIR] [--out models/probe.npz]``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from .. import paths
from ..alphabets import Alphabet, get_alphabet
from ..preprocess import preprocess
from .data import Unipen, load_mnist, load_unipen
from .datasets import UNIPEN_FILE, mnist_source, unipen_parts

__all__ = ["CANVAS", "PROBE_FILE", "build_probe", "draw_probe", "main", "summary"]

PROBE_FILE = "models/probe.npz"
"""Where the probe set is shipped, relative to the repository."""
CANVAS = 64
"""Side of the square canvas the UNIPEN strokes are drawn on."""
SIZE = (0.60, 0.85)
"""Range of the character's long side (ink edge to ink edge), as a fraction of the canvas."""
BRUSH = (3, 5)
"""Range of the brush diameter in pixels (inclusive)."""
SUPERSAMPLE = 4
"""The brush is drawn at this many times the canvas resolution and averaged down (its anti-aliasing)."""
JITTER = 4.0
"""Largest shift of the character's centre from the canvas centre, in pixels (less if it would not fit)."""
SEED = 0
"""Default seed of the sample selection and of the drawing."""


def draw_probe(strokes: Sequence[np.ndarray], rng: np.random.Generator, canvas: int = CANVAS) -> np.ndarray:
    """Draw pen strokes white on black with a clean round brush.

    Parameters
    ----------
    strokes : sequence of np.ndarray
        Each (n, 2) float, x right and y down, in any units.
    rng : np.random.Generator
        Draws the size, the brush and the jitter.
    canvas : int
        Side of the square output.

    Returns
    -------
    np.ndarray
        uint8 (canvas, canvas): 0 background, 255 ink, anti-aliased edges. The
        outermost ring of pixels is always background.
    """
    pts = np.concatenate([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes])
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    extent = max(float((hi - lo).max()), 1e-6)
    size = rng.uniform(*SIZE) * canvas  # the ink's long side, edge to edge
    width = int(rng.integers(BRUSH[0], BRUSH[1] + 1))
    scale = max(size - width, 1.0) / extent  # the pen's path; the brush adds width / 2 on each side
    span = (hi - lo) * scale
    # pixel i covers [i, i + 1); the ink keeps half a pixel more than a pixel from each edge, so the outermost
    # ring of pixels is background
    slack = np.maximum(canvas - 3 - (span + width), 0) / 2
    jitter = np.minimum(slack, JITTER)
    offset = canvas / 2 + rng.uniform(-jitter, jitter) - span / 2
    # the pen's path as 1-pixel lines at SUPERSAMPLE times the resolution, a disc of the brush around it (a
    # distance transform), then averaged down: exact round brush, anti-aliased edges, 255 inside the strokes
    big, shift = canvas * SUPERSAMPLE, 4
    path = np.full((big, big), 255, np.uint8)
    for stroke in strokes:
        xy = ((np.asarray(stroke, np.float64).reshape(-1, 2) - lo) * scale + offset) * SUPERSAMPLE - 0.5
        p = np.round(xy * (1 << shift)).astype(np.int32)
        cv2.polylines(path, [p], False, 0, 1, cv2.LINE_8, shift)
        x, y = np.clip(np.round(xy[0]).astype(int), 0, big - 1)
        path[y, x] = 0  # a stroke that is a single point (polylines draws nothing for it)
    distance = cv2.distanceTransform(path, cv2.DIST_L2, cv2.DIST_MASK_PRECISE)
    disc = (distance <= width * SUPERSAMPLE / 2).astype(np.float32)
    return np.rint(cv2.resize(disc, (canvas, canvas), interpolation=cv2.INTER_AREA) * 255).astype(np.uint8)


def _round_robin(
    index: np.ndarray, writers: np.ndarray, rng: np.random.Generator, used: Counter | None = None
) -> np.ndarray:
    """``index`` in a seeded random order in which every writer comes once before any writer comes twice.

    Within a round, writers with fewer samples in ``used`` (samples taken so far for other classes) come first.
    """
    used = Counter() if used is None else used
    perm = index[rng.permutation(len(index))]
    rank = np.zeros(len(perm), np.int64)
    seen: dict[str, int] = {}
    for j, w in enumerate(writers[perm]):
        rank[j] = seen.get(w, 0)
        seen[w] = rank[j] + 1
    before = np.array([used[w] for w in writers[perm]], np.int64)
    return perm[np.lexsort((np.arange(len(perm)), before, rank))]


def _take(unipen: Unipen, order: np.ndarray, k: int, seed: int) -> tuple[list[np.ndarray], list[int], int]:
    """Draw samples in ``order`` until ``k`` are not blank; returns (images, sample indices, blanks passed over)."""
    images, taken, blanks = [], [], 0
    for i in order:
        if len(taken) == k:
            break
        image = draw_probe(unipen.strokes(int(i)), np.random.default_rng([seed, 2, int(i)]))
        if preprocess(image).is_blank:
            blanks += 1
            continue
        images.append(image)
        taken.append(int(i))
    return images, taken, blanks


def _interleave(a: list, b: list) -> list:
    """a0, b0, a1, b1, ... then the rest of the longer list."""
    out = [x for pair in zip(a, b, strict=False) for x in pair]
    return out + a[len(b) :] + b[len(a) :]


def _unipen_part(
    unipen: Unipen, alphabet: Alphabet, usable: np.ndarray, per_class: int, seed: int
) -> tuple[np.ndarray, np.ndarray, dict]:
    """The drawings of one alphabet: x (N, CANVAS, CANVAS) uint8, y (N,) labels, and what was taken."""
    xs: list[np.ndarray] = []
    ys: list[str] = []
    chars: list[str] = []
    used: list[int] = []
    counts: dict[str, int] = {}
    cases: dict[str, dict[str, int]] = {}
    short: dict[str, int] = {}
    blanks = 0
    by_writer: Counter = Counter()
    for c, label in enumerate(alphabet.labels):
        # capitals (or the digit itself) first, then small letters when the alphabet ignores case
        forms = [label, label.lower()] if alphabet.case_insensitive and label.lower() != label else [label]
        orders = [
            _round_robin(
                np.flatnonzero(usable & (unipen.labels == form)),
                unipen.writers,
                np.random.default_rng([seed, 1, c, f]),
                by_writer,
            )
            for f, form in enumerate(forms)
        ]
        # about half of each form; what one form lacks, the other makes up
        wanted = [per_class // len(forms) + (f < per_class % len(forms)) for f in range(len(forms))]
        got = [_take(unipen, order, k, seed) for order, k in zip(orders, wanted, strict=True)]
        for f in range(len(forms)):
            rest = per_class - sum(len(g[1]) for g in got)
            if rest > 0 and len(got[f][1]) == wanted[f]:
                more = _take(unipen, orders[f][len(got[f][1]) + got[f][2] :], rest, seed)
                got[f] = (got[f][0] + more[0], got[f][1] + more[1], got[f][2] + more[2])
        pairs = [list(zip(g[0], g[1], strict=True)) for g in got]
        picked = _interleave(*pairs) if len(pairs) == 2 else pairs[0]
        blanks += sum(g[2] for g in got)
        for image, i in picked:
            xs.append(image)
            ys.append(label)
            chars.append(str(unipen.labels[i]))
            used.append(i)
            by_writer[str(unipen.writers[i])] += 1
        counts[label] = len(picked)
        if len(forms) == 2:
            cases[label] = {form: len(g[1]) for form, g in zip(forms, got, strict=True)}
        if len(picked) < per_class:
            short[label] = len(picked)
    x = np.stack(xs) if xs else np.zeros((0, CANVAS, CANVAS), np.uint8)
    writers = np.unique(unipen.writers[used]) if used else np.zeros(0, str)
    info: dict = {
        "samples": len(ys),
        "per_class_wanted": per_class,
        "per_class": counts,
        "classes_short": short,
        "writers": len(writers),
        "most_samples_of_one_writer_in_a_class": _max_per_writer(unipen.writers[used], ys),
        "blank_drawings_passed_over": blanks,
        "institutions": sorted({str(s) for s in unipen.sources[used]}),
    }
    if cases:
        info["per_class_by_case"] = cases
        info["characters"] = "".join(chars)
    info["writer_ids"] = [str(w) for w in writers]
    return x, np.array(ys, dtype="<U1"), info


def _max_per_writer(writers: np.ndarray, labels: list[str]) -> int:
    """The most samples one writer gave to one class."""
    return max(Counter(zip(writers.tolist(), labels, strict=True)).values(), default=0)


def _mnist_part(source: Path, total: int) -> tuple[np.ndarray, np.ndarray, dict]:
    if total % 10:
        raise ValueError(f"mnist must be a multiple of 10 (the same number of each digit), got {total}")
    _, (x_test, y_test) = load_mnist(source)
    per_class = total // 10
    index = np.sort(np.concatenate([np.flatnonzero(y_test == d)[:per_class] for d in range(10)]))
    counts = {str(d): int((y_test[index] == d).sum()) for d in range(10)}
    info = {
        "file": source.name,
        "split": "test (x_test, y_test)",
        "rule": f"the first {per_class} images of each digit in file order, kept in file order",
        "samples": len(index),
        "per_class_wanted": per_class,
        "per_class": counts,
        "classes_short": {d: n for d, n in counts.items() if n < per_class},
        "last_index_used": int(index.max()) if len(index) else None,
        "pixels": "as stored: 28x28 uint8, white ink on black",
        "note": "MNIST test is the shipped digits models' 'mnist_test' validation set; only the UNIPEN parts are "
        "kept out of every validation split",
    }
    return x_test[index].astype(np.uint8), y_test[index].astype(str).astype("<U1"), info


def build_probe(data_dir: str | Path, out: str | Path, per_class: int = 50, mnist: int = 500, seed: int = SEED) -> dict:
    """Build the probe set and write it to ``out`` (compressed ``.npz``).

    Parameters
    ----------
    data_dir : str or Path
        Folder with ``unipen_dev.npz`` and ``mnist.npz`` (or the MNIST IDX files).
    out : str or Path
        The ``.npz`` to write; its folder is made if needed.
    per_class : int
        UNIPEN drawings per digit and per letter. A class with fewer usable
        samples gets what there is, and the description lists it under ``classes_short``.
    mnist : int
        MNIST test images, a multiple of 10 (``mnist / 10`` of each digit).
    seed : int
        Seed of the sample selection and of the drawing.

    Returns
    -------
    dict
        The description written into the file.
    """
    data_dir, out = Path(data_dir), Path(out)
    unipen = load_unipen(data_dir / UNIPEN_FILE)
    training_side = unipen_parts(unipen)["train"]
    parts, description = {}, {}
    for key in ("digits", "letters"):
        x, y, info = _unipen_part(unipen, get_alphabet(key), training_side, per_class, seed)
        parts[f"{key}_x"], parts[f"{key}_y"] = x, y
        description[key] = {"file": UNIPEN_FILE, **info}
    parts["mnist_x"], parts["mnist_y"], description["mnist"] = _mnist_part(mnist_source(data_dir), mnist)
    description["unipen_selection"] = {
        "writers": "only training writers (recognizer.training.datasets.unipen_parts: neither the institutions "
        "held out of training nor the 15% of writers held out of the others), so no drawing is in a "
        "shipped model's validation set",
        "order": "per class (and per case for letters), writers in a seeded random order, round-robin: every "
        "writer gives one sample before any gives a second; within a round, writers with fewer samples in the "
        "classes taken before come first",
        "letters": "labelled with the capital; about half capitals and half small letters, alternating within a "
        "class, one case making up for the other where it runs short; 'characters' gives each sample's "
        "original character",
        "blank": "a drawing recognizer.preprocess finds blank is passed over for the next sample",
        "label_noise": "UNIPEN labels carry a few percent noise; the probe keeps them as they are",
        "writers_available": len(np.unique(unipen.writers[training_side])),
    }
    description["renderer"] = {
        "function": "recognizer.training.probe.draw_probe",
        "canvas": CANVAS,
        "ink": "white (255) on black (0), no noise, no polarity flip",
        "brush": f"round: the pen's path at {SUPERSAMPLE}x resolution, a disc of the brush's radius around it "
        "(distance transform), averaged down (area) for anti-aliased edges",
        "character_long_side": list(SIZE),
        "brush_pixels": list(BRUSH),
        "centre_jitter_pixels": JITTER,
        "random_state": "numpy default_rng([seed, 2, sample index]) per sample",
    }
    description["seed"] = seed
    description["builder"] = "python -m recognizer.training.probe"
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "wb") as f:
        np.savez_compressed(f, **parts, description=np.array(json.dumps(description, ensure_ascii=False)))
    return description


def summary(path: str | Path) -> str:
    """A few lines on a probe file: samples, classes and samples per class of each part, and the file's size."""
    path = Path(path)
    lines = []
    with np.load(path) as data:
        info = json.loads(str(data["description"]))
        for part in ("digits", "letters", "mnist"):
            x, y = data[f"{part}_x"], data[f"{part}_y"]
            labels, counts = np.unique(y, return_counts=True)
            spread = f"{counts.min()}-{counts.max()}" if len(counts) else "-"
            writers = f", {info[part]['writers']} writers" if "writers" in info[part] else ""
            lines.append(f"{part:8s} {x.shape} {x.dtype}: {len(labels)} classes, {spread} per class{writers}")
            if info[part].get("classes_short"):
                lines.append(f"         short of {info[part]['per_class_wanted']}: {info[part]['classes_short']}")
    lines.append(f"{path}: {path.stat().st_size / 1e6:.2f} MB")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m recognizer.training.probe", description="Build the probe set shipped in models/probe.npz."
    )
    parser.add_argument("--data-dir", default=str(paths.DEFAULT_DATA_DIR), help="folder of the training data")
    parser.add_argument("--out", default=PROBE_FILE, help="the .npz to write (relative: to the repository)")
    parser.add_argument("--per-class", type=int, default=50, help="UNIPEN drawings per digit and per letter")
    parser.add_argument("--mnist", type=int, default=500, help="MNIST test images, a multiple of 10")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    out = paths.in_repo(args.out)
    build_probe(paths.in_repo(args.data_dir), out, args.per_class, args.mnist, args.seed)
    print(summary(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
