"""The alphabet registry: class labels, human-readable names, wording and model files.

Alphabets are data. Training, evaluation, the CLI and the app all read them
from here, so a label list or a sentence about an alphabet is never written twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from . import paths

__all__ = ["ALPHABETS", "MODEL_TITLES", "Alphabet", "get_alphabet"]

COMMON_WORDS = {"Digits"}
"""First words of titles that are lower case inside a sentence (Latin and Elder Futhark are names)."""
MODEL_TITLES = {
    "cnn": "CNN (convolutional)",
    "mlp": "MLP (dense only)",
    "row": "multi-head row reader",
    "sequence": "sequence row reader (CTC)",
}
"""Display names of the model architectures."""


@dataclass(frozen=True)
class Alphabet:
    """One set of classes a model can recognise, and how the app talks about it.

    Attributes
    ----------
    key : str
        Registry key, e.g. ``"digits"``.
    title : str
        Display name.
    labels : tuple of str
        Class labels in model output order.
    names : tuple of str
        Human-readable name of each label, same order (the label itself where it names itself).
    transliterations : tuple of str
        Latin transliteration of each label (the label itself for Latin scripts).
    models : tuple of str
        Shipped model names, the first is the default.
    button : str
        Short title of the alphabet's button, e.g. ``"Digits 0–9"``.
    prompt : str
        What to draw, completing "Draw ...", e.g. ``"a digit from 0 to 9"``.
    case_insensitive : bool
        Whether a small letter is the same class as its capital.
    chart : str or None
        Title of a reference chart of every label's shape, for alphabets people do not know.
    foreign : mapping of str to str
        Characters of other alphabets (by key) that look like none of this alphabet's:
        its models learn to answer "none of these" for them. Characters people use
        for this alphabet's are never here (O, I, l, S, Z, B, G, q for digits).
    row_models : tuple of str
        The shipped models that read a whole row at once (``models/<alphabet>_<name>.keras``):
        ``"row"``, the multi-head network, and ``"sequence"``, the sequence (CTC) network.
    """

    key: str
    title: str
    labels: tuple[str, ...]
    names: tuple[str, ...]
    transliterations: tuple[str, ...]
    models: tuple[str, ...] = ("cnn",)
    button: str = ""
    prompt: str = ""
    case_insensitive: bool = False
    chart: str | None = None
    foreign: Mapping[str, str] = field(default_factory=dict)
    row_models: tuple[str, ...] = ()

    @property
    def noun(self) -> str:
        """The title as a sentence uses it: ``"digits"``, ``"Latin letters"``, ``"Elder Futhark runes"``."""
        first, _, rest = self.title.partition(" ")
        return f"{first.lower()} {rest}".strip() if first in COMMON_WORDS else self.title

    def __post_init__(self) -> None:
        if not len(self.labels) == len(self.names) == len(self.transliterations):
            raise ValueError(f"alphabet {self.key!r}: labels, names and transliterations differ in length")

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    @property
    def shipped_models(self) -> tuple[str, ...]:
        """Every model the project ships for this alphabet: its character models, then its row models."""
        return self.models + self.row_models

    def index(self, label: str) -> int:
        """Class index of ``label`` (a small letter finds its capital in a case-insensitive alphabet)."""
        return self.labels.index(label.upper() if self.case_insensitive else label)

    def describe(self, label: str) -> str:
        """A label as a reader knows it: ``"7"``, or ``"ᛏ tiwaz (t)"`` where labels have names.

        >>> ALPHABETS["runes"].describe("ᛏ"), ALPHABETS["digits"].describe("7")
        ('ᛏ tiwaz (t)', '7')
        """
        i = self.index(label)
        if self.names[i] == label:
            return label
        return f"{label} {self.names[i]} ({self.transliterations[i]})"

    def model_path(self, model: str | None = None) -> Path:
        """Path of a shipped model file (``models/<alphabet>_<model>.keras``)."""
        return paths.model_file(self.key, model or self.models[0])


_DIGITS = tuple("0123456789")
_LETTERS = tuple(chr(c) for c in range(ord("A"), ord("Z") + 1))

# The Elder Futhark in futhark order: (glyph, name, transliteration).
_FUTHARK = (
    ("ᚠ", "fehu", "f"),
    ("ᚢ", "uruz", "u"),
    ("ᚦ", "thurisaz", "th"),
    ("ᚨ", "ansuz", "a"),
    ("ᚱ", "raido", "r"),
    ("ᚲ", "kaunan", "k"),
    ("ᚷ", "gebo", "g"),
    ("ᚹ", "wunjo", "w"),
    ("ᚺ", "hagalaz", "h"),
    ("ᚾ", "naudiz", "n"),
    ("ᛁ", "isaz", "i"),
    ("ᛃ", "jera", "j"),
    ("ᛇ", "eihwaz", "ei"),
    ("ᛈ", "perthro", "p"),
    ("ᛉ", "algiz", "z"),
    ("ᛊ", "sowilo", "s"),
    ("ᛏ", "tiwaz", "t"),
    ("ᛒ", "berkanan", "b"),
    ("ᛖ", "ehwaz", "e"),
    ("ᛗ", "mannaz", "m"),
    ("ᛚ", "laguz", "l"),
    ("ᛜ", "ingwaz", "ng"),
    ("ᛞ", "dagaz", "d"),
    ("ᛟ", "othala", "o"),
)

ALPHABETS: dict[str, Alphabet] = {
    a.key: a
    for a in (
        Alphabet(
            "digits",
            "Digits",
            _DIGITS,
            _DIGITS,
            _DIGITS,
            models=("cnn", "mlp"),
            button="Digits 0–9",
            prompt="a digit from 0 to 9",
            foreign={"letters": "ACEFHKMNPRUVWXcefhkmnpruvwx", "runes": "ᚠᚨᚱᚲᚷᚹᚺᚾᛃᛈᛖᛗᛞ"},
            row_models=("row", "sequence"),
        ),
        Alphabet(
            "letters",
            "Latin letters",
            _LETTERS,
            _LETTERS,
            _LETTERS,
            models=("cnn", "mlp"),
            button="Letters A–Z",
            prompt="a letter from A to Z (capital or small)",
            case_insensitive=True,
            foreign={"digits": "347", "runes": "ᛃᛞᛟ"},
        ),
        Alphabet(
            "runes",
            "Elder Futhark runes",
            tuple(g for g, _, _ in _FUTHARK),
            tuple(n for _, n, _ in _FUTHARK),
            tuple(t for _, _, t in _FUTHARK),
            button="Runes ᚠ ᚢ ᚦ",
            prompt="an Elder Futhark rune (the rune chart above shows all 24)",
            chart="Rune chart: the 24 runes of the Elder Futhark, their names and sounds",
            foreign={"digits": "269", "letters": "GJQUaeg"},
        ),
    )
}


def get_alphabet(key: str) -> Alphabet:
    """Look up an alphabet by key, with a message listing the valid keys."""
    try:
        return ALPHABETS[key]
    except KeyError:
        raise ValueError(f"unknown alphabet {key!r}; expected one of {', '.join(ALPHABETS)}") from None
