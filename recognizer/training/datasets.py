"""Training and validation sets of each alphabet, built from the files in the data folder.

=========  ================================================  ===============================================
alphabet   training                                          validation
=========  ================================================  ===============================================
digits     MNIST train + UNIPEN digits (training writers)    MNIST test; UNIPEN digits of writers from other
                                                             institutions, and of unseen writers
letters    UNIPEN letters, both cases (training writers)     UNIPEN letters of writers from other institutions,
                                                             and of unseen writers
runes      stroke templates drawn by hand (seeded) +         templates drawn with other seeds; renderings
           renderings of two rune fonts                      of a font not used in training
=========  ================================================  ===============================================

Each alphabet also gets "none of these" drawings (:mod:`recognizer.training.negatives`),
labelled with one class past the alphabet's: shapes, its own characters crossed out or
cut short, and other alphabets' characters unlike its own. Validation negatives come
from other seeds and from unseen writers.

Writers of one institution share habits (taught the same way, same tablet), so UNIPEN's headline
validation is whole institutions held out of training (:data:`OTHER_PLACES`); writers held out of the
training institutions are the second figure.

Everything is rendered as a drawing and sent through the app's preprocessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..alphabets import Alphabet, get_alphabet
from . import negatives, runes
from .data import EMPTY, Dataset, Unipen, label_indices, load_mnist, load_unipen, prepare, writer_split
from .render import continental, render_strokes

__all__ = ["OTHER_PLACES", "RUNE_FONTS", "Sources", "build", "mnist_source", "unipen_parts"]

MNIST_FILE = "mnist.npz"
UNIPEN_FILE = "unipen_dev.npz"
RUNE_FONTS = {
    "train": ("JunicodeTwoBeta-Regular.otf", "JunicodeTwoBeta-Bold.otf"),
    "validation": ("NotoSansRunic-Regular.ttf",),
}
UNIPEN_RENDERS = {"digits": {"digit": 3}, "letters": {"capital": 4, "small": 1}}
"""Training renderings of each UNIPEN sample by kind of character (brush, size, position and polarity differ each
time). UNIPEN's training writers wrote 3.8 small letters for each capital, and writers elsewhere write both alike
(the places held out: 9,195 capitals, 9,109 small letters): drawing each capital 4 times shows training as many
capitals as small letters, so a bare bar is an I as often as an l."""
CONTINENTAL = 0.35
"""Share of training 0s, 1s and 7s drawn as :func:`render.continental` draws them: a slashed 0, a 1 with a long
flag, a 7 with a bar. Writers from other places write them so, and the training institutions seldom do (issue 13's
1 read as 7; an unseen writer's slashed 0s and flagged 1s taken for "none of these")."""
RUNE_TEMPLATES_PER_CLASS = {"train": 1500, "validation": 250}
RUNE_FONT_RENDERS_PER_CLASS = {"train": 200, "validation": 100}
VALIDATION_SEED_OFFSET = 7919
"""Validation drawings use seeds this far from training's, so no drawing is in both."""
NEGATIVES = {"digits": 22000, "letters": 12000, "runes": 8000}
"""Training "none of these" drawings per alphabet: about two classes' worth for digits and runes."""
NEGATIVES_VAL = 3000
FOREIGN_VAL = 3000
FOREIGN_STROKES = {"A": 2}
"""Foreign characters trained on only when drawn with this many strokes or more: an A in one stroke is often a
bare Λ, which is how many people write a 1 with a long flag. Validation keeps them all."""
NOT_NEGATIVES = {
    "digits": {"triangle"},
    "letters": {"partial", "pair"},
    "runes": {"partial", "pair", "square", "triangle", "cloud"},
}
"""Kinds of negatives an alphabet does without. A piece of a letter or a rune is often another one (C of O,
L of E, < of X), and so are two letters side by side (rn of m): only digits get partial strokes and pairs. A
triangle on its base is how some people write a 1 (a long flag and a base); runes are made of triangles and
boxes on their corners (ᚦ, ᛞ, ᛜ: with them, 5% of an unseen font's runes were turned away), and a ᛜ drawn round
is a ring of a few bumps, like a cloud."""
OTHER_PLACES = ("art", "ced", "ibm", "uqb")
"""UNIPEN institutions held out of training entirely: their writers measure what a stranger gets. Four of
the sixteen, 75 writers between them, with 3,649 digits, 9,195 capitals and 9,109 small letters (after leaving
out 540 fragments, :func:`~recognizer.training.data.truncated`)."""
UNIPEN_VALIDATION = {"unipen_places_val": "other places", "unipen_val": "validation"}
"""UNIPEN validation sets and the part (:func:`unipen_parts`) each holds; the first is the headline."""


@dataclass
class Sources:
    """A training set, named validation sets and a description of where they came from."""

    train: Dataset
    validation: dict[str, Dataset]
    description: dict[str, object] = field(default_factory=dict)
    negatives: dict[str, dict[str, Dataset]] = field(default_factory=dict)
    """Validation sets of "none of these" drawings, by kind (label: the alphabet's class count)."""
    groups: dict[str, dict[str, int]] = field(default_factory=dict)
    """Validation sets made of consecutive groups (the institutions of ``unipen_places_val``): name -> samples."""


def unipen_parts(unipen: Unipen) -> dict[str, np.ndarray]:
    """Boolean masks of the UNIPEN samples in each part.

    ``"train"``: training writers; ``"validation"``: unseen writers of the same
    institutions (15% of writers, by a hash of the writer id); ``"other places"``:
    every writer of :data:`OTHER_PLACES`; ``"unseen"``: both of the last two. No part holds a
    sample that is a fragment of its character (:attr:`Unipen.truncated <recognizer.training.data.Unipen.truncated>`).
    """
    other = np.isin(unipen.sources, OTHER_PLACES)
    unseen = writer_split(unipen.writers)
    whole = ~unipen.truncated
    parts = {"train": ~unseen & ~other, "validation": unseen & ~other, "other places": other, "unseen": unseen | other}
    return {name: mask & whole for name, mask in parts.items()}


def _unipen(alphabet: Alphabet, data_dir: Path, seed: int, limit: int | None, train: bool) -> Sources:
    unipen = load_unipen(data_dir / UNIPEN_FILE)
    y, known = label_indices(alphabet, unipen.labels)
    parts = unipen_parts(unipen)
    index = {part: np.flatnonzero(known & mask)[:limit] for part, mask in parts.items()}
    renders = UNIPEN_RENDERS[alphabet.key] if train else {}
    styled = [(unipen.strokes(int(i)), str(unipen.labels[i])) for i in index["train"]]
    times = np.array([renders.get(_kind(label), 0) for _, label in styled], int)
    train_sets = [
        prepare([styled[i] for i in np.flatnonzero(times > r)], y[index["train"]][times > r], seed + r, _draw_styled)
        for r in range(times.max(initial=0))
    ]
    vseed = seed + VALIDATION_SEED_OFFSET
    places = {place: index["other places"][unipen.sources[index["other places"]] == place] for place in OTHER_PLACES}
    by_place = {place: prepare(unipen.subset(i), y[i], vseed) for place, i in places.items()}
    validation = {
        "unipen_places_val": sum(by_place.values(), EMPTY),
        "unipen_val": prepare(unipen.subset(index["validation"]), y[index["validation"]], vseed),
    }

    def writers(part: str) -> int:
        return len(np.unique(unipen.writers[index[part]]))

    description = {
        "unipen": {
            "file": UNIPEN_FILE,
            "rendering": "round brush of random width, random size and position, both polarities, paper noise",
            "renders_per_sample": renders,
            "train_samples": len(index["train"]),
            "train_writers": writers("train"),
            "split": "institutions "
            + ", ".join(OTHER_PLACES)
            + " held out entirely (unipen_places_val); of the others, 15% of writers by a hash of the writer id "
            "(unipen_val)",
            "truncated_left_out": int((known & unipen.truncated).sum()),
            "truncated_rule": "one straight stroke labelled as a character that is never one (a dash labelled 4 or 1, "
            "a line labelled X: the first stroke of a character kept alone); recognizer.training.data.truncated",
            **{f"{name}_samples": len(index[part]) for name, part in UNIPEN_VALIDATION.items()},
            **{f"{name}_writers": writers(part) for name, part in UNIPEN_VALIDATION.items()},
        }
    }
    groups = {"unipen_places_val": {place: len(data) for place, data in by_place.items() if len(data)}}
    sources = Sources(sum(train_sets, EMPTY), validation, description, groups=groups)
    own = {"train": unipen.subset(index["train"]), "validation": unipen.subset(index["unseen"])}
    return _with_negatives(sources, alphabet, unipen, own, seed, limit, train)


def _kind(label: str) -> str:
    """``"capital"``, ``"small"`` or ``"digit"``: the keys of :data:`UNIPEN_RENDERS`."""
    return "capital" if label.isupper() else "small" if label.islower() else "digit"


def _draw_styled(item: tuple[list[np.ndarray], str], rng: np.random.Generator) -> np.ndarray:
    """A training character as written: some 0s, 1s and 7s the continental way (:func:`render.continental`)."""
    strokes, label = item
    if rng.random() < CONTINENTAL:
        strokes = continental(strokes, label, rng)
    return render_strokes(strokes, rng)


def _foreign(alphabet: Alphabet, unipen: Unipen | None, part: str, limit: int | None) -> list:
    """Other alphabets' characters unlike this one's: UNIPEN strokes of the ``part`` writers, rune labels.

    ``part`` is ``"train"`` or ``"validation"`` (then every writer not in training).
    """
    found: list = []
    for key, chars in alphabet.foreign.items():
        if key == "runes":
            found += list(chars)
        elif unipen is not None:
            writers = unipen_parts(unipen)["train" if part == "train" else "unseen"]
            least = np.array([FOREIGN_STROKES.get(str(c), 1) if part == "train" else 1 for c in unipen.labels])
            wanted = np.isin(unipen.labels, list(chars)) & (unipen.n_strokes >= least)
            found += unipen.subset(np.flatnonzero(wanted & writers)[:limit])
    return found


def _with_negatives(
    sources: Sources,
    alphabet: Alphabet,
    unipen: Unipen | None,
    own: dict[str, list],
    seed: int,
    limit: int | None,
    train: bool,
) -> Sources:
    """Add the "none of these" drawings: to the training set, and as validation sets of their own."""
    none = alphabet.num_classes
    kinds = [k for k in negatives.KINDS if k not in NOT_NEGATIVES.get(alphabet.key, ())]

    def made(part: str, count: int, seed: int, kinds: list[str]) -> Dataset:
        rng = np.random.default_rng(seed)
        items = negatives.make(count, rng, own[part], _foreign(alphabet, unipen, part, limit), kinds)
        return prepare(items, np.full(len(items), none, np.int32), seed, draw=negatives.draw)

    cap = (lambda n: min(n, limit)) if limit else (lambda n: n)
    vseed = seed + VALIDATION_SEED_OFFSET
    if train:
        sources.train = sources.train + made("train", cap(NEGATIVES[alphabet.key]), seed + 11, kinds)
    shapes = [k for k in kinds if k != "foreign"]
    sources.negatives = {
        "negatives_val": {
            k: made("validation", cap(NEGATIVES_VAL // len(shapes)), vseed + i, [k]) for i, k in enumerate(shapes)
        },
        "foreign_val": {"foreign": made("validation", cap(FOREIGN_VAL), vseed + 13, ["foreign"])},
    }
    sources.description["negatives"] = {
        "generator": "recognizer.training.negatives",
        "kinds": kinds,
        "foreign": dict(alphabet.foreign),
        "train_samples": cap(NEGATIVES[alphabet.key]) if train else 0,
        "validation": "other seeds; other alphabets' characters by unseen writers",
    }
    return sources


def _draw_identity(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return image


def mnist_source(data_dir: Path) -> Path:
    """Where MNIST is: ``mnist.npz``, else the folder if it holds the IDX files.

    Raises
    ------
    FileNotFoundError
        Neither is there (nothing is ever downloaded).
    """
    if (data_dir / MNIST_FILE).exists():
        return data_dir / MNIST_FILE
    if any(data_dir.glob("train-images?idx3-ubyte*")):
        return data_dir
    raise FileNotFoundError(f"{data_dir}: no {MNIST_FILE} and no MNIST IDX files (train-images-idx3-ubyte...)")


def _digits(data_dir: Path, seed: int, limit: int | None, train: bool) -> Sources:
    source = mnist_source(data_dir)
    (x_train, y_train), (x_test, y_test) = load_mnist(source)
    if limit:
        x_train, y_train, x_test, y_test = x_train[:limit], y_train[:limit], x_test[:limit], y_test[:limit]
    sources = _unipen(get_alphabet("digits"), data_dir, seed, limit, train)
    if train:
        sources.train = prepare(list(x_train), y_train, seed, draw=_draw_identity) + sources.train
    sources.validation = {"mnist_test": prepare(list(x_test), y_test, seed, draw=_draw_identity), **sources.validation}
    sources.description = {
        "mnist": {
            "file": source.name,
            "train_samples": len(x_train),
            "test_samples": len(x_test),
        },
        **sources.description,
    }
    return sources


def _draw_rune(item: tuple[str, str, str | None], rng: np.random.Generator) -> np.ndarray:
    kind, label, font = item
    if kind == "font":
        return runes.render_font_glyph(label, font, 128, rng)
    return render_strokes(runes.sample_strokes(label, rng), rng)


def _rune_set(alphabet: Alphabet, items: list[tuple[str, str, str | None]], seed: int) -> Dataset:
    labels = np.array([alphabet.index(label) for _, label, _ in items], np.int32)
    return prepare(items, labels, seed, draw=_draw_rune)


def _runes(data_dir: Path, seed: int, limit: int | None, train: bool) -> Sources:
    alphabet = get_alphabet("runes")
    fonts_dir = data_dir / "fonts"

    def items(kind: str, per_class: int, fonts: tuple[str | None, ...] = (None,)) -> list:
        per_class = min(per_class, limit) if limit else per_class
        return [(kind, label, font) for font in fonts for label in alphabet.labels for _ in range(per_class)]

    train_fonts = tuple(str(fonts_dir / f) for f in RUNE_FONTS["train"])
    val_fonts = tuple(str(fonts_dir / f) for f in RUNE_FONTS["validation"])
    train_set = EMPTY
    if train:
        train_set = _rune_set(alphabet, items("template", RUNE_TEMPLATES_PER_CLASS["train"]), seed) + _rune_set(
            alphabet, items("font", RUNE_FONT_RENDERS_PER_CLASS["train"], train_fonts), seed + 1
        )
    vseed = seed + VALIDATION_SEED_OFFSET
    validation = {
        "templates_val": _rune_set(alphabet, items("template", RUNE_TEMPLATES_PER_CLASS["validation"]), vseed),
        "unseen_font_val": _rune_set(
            alphabet, items("font", RUNE_FONT_RENDERS_PER_CLASS["validation"], val_fonts), vseed
        ),
        "train_fonts_new_renders_val": _rune_set(
            alphabet, items("font", RUNE_FONT_RENDERS_PER_CLASS["validation"] // 2, train_fonts), vseed + 1
        ),
    }
    description = {
        "rune_templates": {
            "generator": "recognizer.training.runes.sample_strokes drawn by recognizer.training.render.render_strokes",
            "train_per_class": RUNE_TEMPLATES_PER_CLASS["train"],
            "validation": f"other seeds, {RUNE_TEMPLATES_PER_CLASS['validation']} per class",
        },
        "rune_fonts": {"train": list(RUNE_FONTS["train"]), "validation (unseen font)": list(RUNE_FONTS["validation"])},
    }
    rng = np.random.default_rng(seed + 17)
    own = {
        part: [runes.sample_strokes(alphabet.labels[i % alphabet.num_classes], rng) for i in range(500)]
        for part in ("train", "validation")
    }
    unipen = load_unipen(data_dir / UNIPEN_FILE) if (data_dir / UNIPEN_FILE).exists() else None
    return _with_negatives(Sources(train_set, validation, description), alphabet, unipen, own, seed, limit, train)


def build(alphabet: str, data_dir: str | Path, seed: int = 0, limit: int | None = None, train: bool = True) -> Sources:
    """Build the training and validation sets of an alphabet.

    Parameters
    ----------
    alphabet : str
        ``"digits"``, ``"letters"`` or ``"runes"``.
    data_dir : str or Path
        Folder with ``mnist.npz``, ``unipen_dev.npz`` and ``fonts/``.
    seed : int
        Seed of all rendering randomness.
    limit : int, optional
        Cap on samples per source (per class for runes), for quick runs and tests.
    train : bool
        Build the training set too; without it the training set is empty and
        only the validation sets are rendered (what evaluation needs).

    Returns
    -------
    Sources
        Model inputs (N, 28, 28) float32 in [0, 1] with class indices.
    """
    data_dir = Path(data_dir)
    spec = get_alphabet(alphabet)
    if spec.key == "digits":
        return _digits(data_dir, seed, limit, train)
    if spec.key == "letters":
        return _unipen(spec, data_dir, seed, limit, train)
    return _runes(data_dir, seed, limit, train)
