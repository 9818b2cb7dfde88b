"""Handwriting Lab's recognizer: from a drawing to predictions and activations.

>>> import recognizer
>>> rec = recognizer.load("digits")
>>> res = rec.recognize(image)  # uint8 HxW, HxWx3 or HxWx4
>>> res.top_k
[('7', 0.98), ('1', 0.01), ('2', 0.004)]

Importing the package is cheap; TensorFlow is imported on first use of
:func:`load`, :class:`Recognizer` or :class:`ModelFileError`.
"""

import os
from importlib import import_module

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # before anything imports TensorFlow

from .alphabets import ALPHABETS, Alphabet, get_alphabet
from .preprocess import Preprocessed, preprocess

__all__ = [
    "ALPHABETS",
    "Alphabet",
    "ModelFileError",
    "Preprocessed",
    "Recognizer",
    "Result",
    "get_alphabet",
    "load",
    "preprocess",
]

_LAZY = {"load": "inference", "Recognizer": "inference", "Result": "inference", "ModelFileError": "model"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
