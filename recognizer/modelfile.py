"""Model files: loading a classifier with its card and checking it fits, saving one with its card.

A model file is ``<name>.keras`` with its :class:`~recognizer.card.ModelCard`
``<name>.json`` beside it. The card's input convention says what tensor the
model takes; without a card a model must take the canonical (28, 28, 1) input.
"""

from __future__ import annotations

import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from .alphabets import Alphabet
from .backend import keras
from .card import ModelCard, ModelFileError

__all__ = ["ModelFileError", "architecture_summary", "load_model", "save_model"]


def architecture_summary(model: keras.Model) -> list[dict[str, Any]]:
    """One entry per layer: name, type, output shape (without batch) and parameter count."""
    return [
        {
            "name": layer.name,
            "type": type(layer).__name__,
            "output_shape": list(layer.output.shape[1:]),
            "params": int(layer.count_params()),
        }
        for layer in model.layers
    ]


def save_model(model: keras.Model, path: str | Path, card: ModelCard) -> ModelCard:
    """Write ``path`` (.keras) and its card beside it, with the model's layers filled in; returns that card."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Save an uncompiled copy: no optimizer state, a smaller file that loads faster.
    plain = type(model).from_config(model.get_config())  # a Sequential model needs Sequential.from_config
    plain.set_weights(model.get_weights())
    plain.save(path)
    card = replace(card, architecture=tuple(architecture_summary(model)))
    card.write(path)
    return card


def load_model(path: str | Path, alphabet: Alphabet) -> tuple[keras.Model, ModelCard]:
    """Load a model file with its card and check that it fits ``alphabet`` and the card's input convention.

    A model without a card gets one naming the alphabet's labels and the canonical convention.

    Raises
    ------
    ModelFileError
        Naming the file and the problem: missing, not a Keras model, an unreadable
        card, an input shape other than the convention's, or outputs that do not
        match the labels.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path}: not a Keras model file (expected a .keras zip archive)")
    card = ModelCard.read(path) or ModelCard(path.stem, alphabet.key, alphabet.labels, names=alphabet.names)
    try:
        model = keras.models.load_model(path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for damaged files
        raise ModelFileError(f"{path}: cannot be loaded as a Keras model ({type(err).__name__}: {err})") from err
    if not isinstance(model, keras.Model) or not model.inputs:
        raise ModelFileError(f"{path}: not a model with a defined input")
    shape = tuple(model.inputs[0].shape[1:])
    if shape != card.input.shape:
        raise ModelFileError(f"{path}: input shape {shape}, expected {card.input.shape}")
    outputs = model.outputs[0].shape[-1]
    if outputs != alphabet.num_classes:
        raise ModelFileError(
            f"{path}: {outputs} outputs, but alphabet {alphabet.key!r} has {alphabet.num_classes} labels"
        )
    if card.labels != alphabet.labels:
        raise ModelFileError(f"{path}: its card's labels differ from alphabet {alphabet.key!r}")
    return model, card
