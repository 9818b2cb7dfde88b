"""Model cards: what a model file is, what it expects, how it was made and how well it does.

A model ``<name>.keras`` has its card ``<name>.json`` beside it. Training writes
it, inference reads its input convention and labels, and the Models page shows
it. Reading a card needs no TensorFlow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from .convention import MNIST, Convention

__all__ = [
    "NONE_OF_THESE",
    "REJECTION_TITLES",
    "VALIDATION_TITLES",
    "ModelCard",
    "ModelFileError",
    "Rejection",
    "card_path",
    "rejection_title",
    "softmax",
    "validation_title",
]

VALIDATION_TITLES = {
    "mnist_test": "MNIST test set",
    "unipen_places_val": "UNIPEN, unseen writers from other places",
    "unipen_val": "UNIPEN, unseen writers",
    "templates_val": "new template drawings",
    "unseen_font_val": "an unseen font",
    "train_fonts_new_renders_val": "training fonts, new renderings",
    "probe": "our probe drawings",
    "mnist_rows_test": "MNIST test, 5 digits in 28 x 140: whole rows",
    "mnist_rows_test_raw": "the same, given to the network as they are",
    "unipen_places_rows_val": "rows of 5 by writers from other places",
    "unipen_rows_val": "rows of 5 by unseen writers",
    "users_val": "your held-out drawings",
    "shipped_users_val": "the shipped model, on your held-out drawings",
}
"""How the pages name the validation sets that training records by key."""


NONE_OF_THESE = "none of these"
"""What the pages call the output of a drawing that is none of the alphabet's characters."""
REJECTION_TITLES = {
    "negatives_val": "scribbles and shapes accepted",
    "foreign_val": "other alphabets' characters rejected",
}
"""How the pages name the rejection figures of the sets of negatives (the others: their set's title, rejected)."""


@dataclass(frozen=True)
class Rejection:
    """How a model says "none of these": one more output, and when it wins.

    Attributes
    ----------
    output : int
        Index of the model output that stands for "none of these".
    threshold : float
        A drawing is rejected when that output's probability is at least this.
    figures : dict of str to dict
        Per validation set: ``rate`` (share rejected, or for negatives the share
        accepted), ``samples``, ``target`` and ``wanted`` (``"at most"`` or
        ``"at least"``), per kind of negative ``by_kind``, and for a set pooled from
        several places ``by_group``, place by place.
    """

    output: int
    threshold: float = 0.5
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)

    def meets(self, name: str) -> bool | None:
        """Whether validation set ``name``'s figure meets its target; None when it has none.

        >>> r = Rejection(10, figures={"a": {"rate": 0.004, "wanted": "at most", "target": 0.01}, "b": {"rate": 0.5}})
        >>> r.meets("a"), r.meets("b")
        (True, None)
        """
        figure = self.figures.get(name, {})
        if "target" not in figure:
            return None
        return (
            figure["rate"] <= figure["target"] if figure["wanted"] == "at most" else figure["rate"] >= figure["target"]
        )

    def to_json(self) -> dict[str, Any]:
        return {"output": self.output, "threshold": self.threshold, "figures": self.figures}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rejection:
        return cls(int(data["output"]), float(data.get("threshold", 0.5)), dict(data.get("figures", {})))


def softmax(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits along the last axis (any shape), float32, summing to 1."""
    shifted = np.exp(np.asarray(logits, np.float32) - np.max(logits, axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def rejection_title(name: str) -> str:
    """A rejection figure's name for people.

    >>> rejection_title("negatives_val"), rejection_title("mnist_test")
    ('scribbles and shapes accepted', 'MNIST test set: rejected')
    """
    return REJECTION_TITLES.get(name) or f"{validation_title(name)}: rejected"


def validation_title(name: str) -> str:
    """A validation set's name for people: ``"unipen_val"`` -> ``"UNIPEN, unseen writers"``."""
    return VALIDATION_TITLES.get(name, name.replace("_", " "))


class ModelFileError(ValueError):
    """A model file or its card is missing, unreadable, or does not fit its alphabet."""


def card_path(model_path: str | Path) -> Path:
    """Where the card of a model file is: the same name with ``.json``."""
    return Path(model_path).with_suffix(".json")


@dataclass(frozen=True)
class ModelCard:
    """A model's metadata.

    Attributes
    ----------
    name : str
        Model name, e.g. ``"digits_cnn"``.
    alphabet : str
        Key of the alphabet whose labels are the model's outputs.
    labels : tuple of str
        Class labels in output order.
    input : Convention
        The input convention the model was trained with.
    architecture_name : str
        ``"cnn"``, ``"mlp"``, ...
    names : tuple of str
        Human-readable names of the labels.
    architecture : tuple of dict
        One entry per layer: name, type, output shape, parameter count.
    training_data, augmentation, training : dict
        Where the training data came from, the augmentation, and how training
        ran (epochs, seconds, machine, versions, history).
    command : str
        The command that reproduces the model.
    validation : dict of str to dict
        Per validation set: ``samples``, ``accuracy``, per-class accuracy,
        most frequent confusions and the confusion matrix.
    outputs : str
        ``"probabilities"`` (softmax in the model) or ``"logits"`` (softmax applied here).
    label_map : tuple of int or None
        For each model output, the label index it stands for (None: no label, such as
        EMNIST's unused class 0); empty when output i is label i.
    rejection : Rejection or None
        The model's "none of these" output and how well it rejects; None when it has none.
    """

    name: str
    alphabet: str
    labels: tuple[str, ...]
    input: Convention = MNIST
    architecture_name: str = ""
    names: tuple[str, ...] = ()
    architecture: tuple[dict[str, Any], ...] = ()
    training_data: dict[str, Any] = field(default_factory=dict)
    augmentation: dict[str, Any] = field(default_factory=dict)
    training: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    validation: dict[str, dict[str, Any]] = field(default_factory=dict)
    outputs: str = "probabilities"
    label_map: tuple[int | None, ...] = ()
    rejection: Rejection | None = None

    def label_probabilities(self, raw: np.ndarray) -> np.ndarray:
        """The model's raw outputs, (K,) or (N, K), as probabilities of the labels, (C,) or (N, C).

        Softmax for logits. The "none of these" output is left out, so the labels'
        probabilities sum to 1 minus its probability (:meth:`none_probability`).
        Other outputs that stand for no label are dropped and the rest renormalised to 1.
        """
        raw = self.output_probabilities(raw)
        if self.rejection is not None:
            return np.delete(raw, self.rejection.output, axis=-1)
        if not self.label_map:
            return raw
        mapped = np.zeros((*raw.shape[:-1], len(self.labels)), np.float32)
        for output, label in enumerate(self.label_map):
            if label is not None:
                mapped[..., label] += raw[..., output]
        return mapped / np.maximum(mapped.sum(axis=-1, keepdims=True), 1e-12)

    def none_probability(self, raw: np.ndarray) -> np.ndarray:
        """Probability of "none of these" from the raw outputs: (K,) -> (), (N, K) -> (N,); 0 without that output."""
        raw = self.output_probabilities(raw)
        if self.rejection is None:
            return np.zeros(raw.shape[:-1], np.float32)
        return raw[..., self.rejection.output]

    def output_names(self) -> tuple[str, ...]:
        """What each model output stands for, in output order: a label, :data:`NONE_OF_THESE`, or ``"–"`` for nothing.

        >>> ModelCard("m", "digits", ("0", "1"), rejection=Rejection(output=2)).output_names()
        ('0', '1', 'none of these')
        """
        names = [self.labels[i] if i is not None else "–" for i in self.label_map] or list(self.labels)
        if self.rejection is not None:
            names.insert(self.rejection.output, NONE_OF_THESE)
        return tuple(names)

    def output_probabilities(self, raw: np.ndarray) -> np.ndarray:
        """The model's raw outputs as probabilities, output by output (softmax for logits)."""
        return softmax(raw) if self.outputs == "logits" else np.asarray(raw, np.float32)

    @property
    def params(self) -> int:
        """Trainable and other parameters of all layers."""
        return sum(int(layer.get("params", 0)) for layer in self.architecture)

    @property
    def accuracies(self) -> dict[str, tuple[float, int]]:
        """Validation set name -> (accuracy in [0, 1], number of samples), in the card's order."""
        return {k: (v["accuracy"], v["samples"]) for k, v in self.validation.items() if "accuracy" in v}

    def to_json(self) -> dict[str, Any]:
        """JSON-ready data, in the order a reader wants it: input and layers first."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["input"] = self.input.to_json()
        if self.rejection is None:  # cards of models without "none of these" stay as they were
            del data["rejection"]
        else:
            data["rejection"] = self.rejection.to_json()
        for key in ("labels", "names", "architecture", "label_map"):
            data[key] = list(data[key])
        return {"input": data.pop("input"), "architecture": data.pop("architecture"), **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ModelCard:
        """Read :meth:`to_json`'s output (keys it does not know are ignored).

        Raises
        ------
        ValueError
            If a required key is missing or a value has the wrong form.
        """
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        try:
            values["input"] = Convention.from_json(values["input"]) if "input" in values else MNIST
            values["rejection"] = Rejection.from_json(values["rejection"]) if values.get("rejection") else None
            for key in ("labels", "names", "architecture", "label_map"):
                values[key] = tuple(values.get(key, ()))
            return cls(**values)
        except (TypeError, ValueError, KeyError) as err:
            raise ValueError(f"not a model card ({err})") from err

    @classmethod
    def read(cls, model_path: str | Path) -> ModelCard | None:
        """The card beside a model file, or None when it has none.

        Raises
        ------
        ModelFileError
            The card exists but cannot be read.
        """
        path = card_path(model_path)
        if not path.exists():
            return None
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError) as err:
            raise ModelFileError(f"{path}: unreadable model card ({err})") from err

    def write(self, model_path: str | Path) -> Path:
        """Write the card beside a model file; returns its path."""
        path = card_path(model_path)
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return path
