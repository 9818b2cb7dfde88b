"""Handwriting Lab's recognizer: from a drawing to predictions and activations.

The runtime, used by the app and ``python -m recognizer predict``::

    import recognizer
    rec = recognizer.load("digits")
    res = rec.recognize(image)  # uint8 HxW, HxWx3 or HxWx4
    res.top_k                   # [('7', 0.98), ('1', 0.01), ('2', 0.004)]

    canonical = recognizer.preprocess(image).model_input  # (28, 28) float32 in [0, 1]
    out = rec.forward(rec.convention.apply(canonical))    # probabilities and activations

Training lives in :mod:`recognizer.training`, which nothing here imports.
Importing the package is cheap; TensorFlow is imported on first use of
:func:`load`, :class:`Recognizer`, :class:`Result`, :class:`Forward` or :func:`explain`.
"""

from importlib import import_module

from .alphabets import ALPHABETS, Alphabet, get_alphabet
from .card import ModelCard, ModelFileError
from .convention import MNIST, Convention
from .preprocess import Preprocessed, Step, find_ink, normalise, preprocess

__all__ = [
    "ALPHABETS",
    "MNIST",
    "Alphabet",
    "Convention",
    "Forward",
    "ModelCard",
    "ModelFileError",
    "Preprocessed",
    "Recognizer",
    "Result",
    "Step",
    "check_model",
    "explain",
    "find_ink",
    "get_alphabet",
    "load",
    "normalise",
    "preprocess",
]

_LAZY = dict.fromkeys(("load", "Recognizer", "Result", "Forward", "check_model"), ".inference") | {
    "explain": ".explain"
}
"""Names whose modules start TensorFlow: imported on first use, so ``import recognizer`` stays quick."""


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
