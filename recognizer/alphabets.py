"""The alphabet registry: class labels, human-readable names and model files.

Alphabets are data. Training, evaluation, the CLI and the app all read them
from here, so a label list is never written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["ALPHABETS", "MODELS_DIR", "MODEL_TITLES", "Alphabet", "get_alphabet"]

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
"""Where the shipped ``<alphabet>_<model>.keras`` files and their metadata live."""
MODEL_TITLES = {"cnn": "CNN (convolutional)", "mlp": "MLP (dense only)"}
"""Display names of the model architectures."""


@dataclass(frozen=True)
class Alphabet:
    """One set of classes a model can recognise.

    Attributes
    ----------
    key : str
        Registry key, e.g. ``"digits"``.
    title : str
        Display name.
    labels : tuple of str
        Class labels in model output order.
    names : tuple of str
        Human-readable name of each label, same order.
    transliterations : tuple of str
        Latin transliteration of each label (the label itself for Latin scripts).
    models : tuple of str
        Shipped model names, the first is the default.
    """

    key: str
    title: str
    labels: tuple[str, ...]
    names: tuple[str, ...]
    transliterations: tuple[str, ...]
    models: tuple[str, ...] = ("cnn",)

    def __post_init__(self) -> None:
        if not len(self.labels) == len(self.names) == len(self.transliterations):
            raise ValueError(f"alphabet {self.key!r}: labels, names and transliterations differ in length")

    @property
    def num_classes(self) -> int:
        return len(self.labels)

    def index(self, label: str) -> int:
        """Class index of ``label``; letters are case-insensitive."""
        key = label.upper() if self.key == "letters" else label
        return self.labels.index(key)

    def model_path(self, model: str | None = None) -> Path:
        """Path of a shipped model file (``models/<alphabet>_<model>.keras``)."""
        return MODELS_DIR / f"{self.key}_{model or self.models[0]}.keras"


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
        Alphabet("digits", "Digits", _DIGITS, _DIGITS, _DIGITS, models=("cnn", "mlp")),
        Alphabet("letters", "Latin letters", _LETTERS, _LETTERS, _LETTERS, models=("cnn", "mlp")),
        Alphabet(
            "runes",
            "Elder Futhark runes",
            tuple(g for g, _, _ in _FUTHARK),
            tuple(n for _, n, _ in _FUTHARK),
            tuple(t for _, _, t in _FUTHARK),
        ),
    )
}


def get_alphabet(key: str) -> Alphabet:
    """Look up an alphabet by key, with a message listing the valid keys."""
    try:
        return ALPHABETS[key]
    except KeyError:
        raise ValueError(f"unknown alphabet {key!r}; expected one of {', '.join(ALPHABETS)}") from None
