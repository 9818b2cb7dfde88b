"""Model files: loading a classifier with its card and checking it fits, saving one with its card.

A model file is ``<name>.keras`` with its :class:`~recognizer.card.ModelCard`
``<name>.json`` beside it. The card's input convention says what tensor the
model takes; without a card a model must take the canonical (28, 28, 1) input.

:func:`load_classifier` opens any Keras image classifier, a ``.keras`` archive or
a legacy ``.h5`` file, without running anything in it: its configuration is read
as data first, and a Lambda layer or a class that is not Keras's own is refused
before Keras sees it; Keras then loads it with ``safe_mode=True``. Everything
that is not a single-input image classifier is refused with one line naming the
file and the problem.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from .alphabets import Alphabet
from .backend import keras
from .card import ModelCard, ModelFileError

__all__ = [
    "MAX_MODEL_BYTES",
    "Classifier",
    "ModelFileError",
    "architecture_summary",
    "load_classifier",
    "load_model",
    "load_row_model",
    "save_model",
]

MAX_MODEL_BYTES = 100 * 1024 * 1024
"""The largest model file accepted, and the most its archive may unpack to or its HDF5 datasets may hold."""

HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
"""The first bytes of an HDF5 file (legacy ``.h5`` Keras models)."""

PROBE_BATCH = 4
"""Inputs a classifier is tried on when loaded: zeros, and random values in [0, 1]."""
PROBABILITY_TOLERANCE = 1e-3
"""How far outputs may be from [0, 1] and their row sums from 1 and still count as probabilities."""

LAMBDA_PROBLEM = "contains a Lambda layer (Python code), which is never run here"
_KERAS_PACKAGES = ("keras", "tf_keras", "builtins")
"""Modules a configuration may name: Keras's own objects. Any other module is custom code."""
_MAX_SUMMARY = 100
"""The longest summary of an error from Keras or h5py, in characters."""


@dataclass(frozen=True)
class Classifier:
    """An image classifier loaded from a file and checked.

    Attributes
    ----------
    model : keras.Model
        The model, uncompiled, as in the file.
    input_shape : tuple of int
        Its input's shape without the batch axis: ``(H, W)``, ``(H, W, C)``,
        ``(C, H, W)`` (C is 1 or 3, H equals W) or ``(H * W,)``.
    num_outputs : int
        Classes it scores (K of its ``(batch, K)`` output).
    outputs_logits : bool
        Whether its output is not a probability distribution (no softmax in the
        model), so that softmax has to be applied to it (see :meth:`probabilities`).
    notes : tuple of str
        What a user should know about how the model is used, e.g. that softmax is applied.
    """

    model: keras.Model
    input_shape: tuple[int, ...]
    num_outputs: int
    outputs_logits: bool = False
    notes: tuple[str, ...] = ()

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """The model's outputs, ``(K,)`` or ``(N, K)``, as probabilities: softmax when it gives logits.

        Parameters
        ----------
        outputs : np.ndarray
            What the model returned.

        Returns
        -------
        np.ndarray
            float32 of the same shape, each row summing to 1 when softmax was applied.
        """
        outputs = np.asarray(outputs, np.float32)
        return _softmax(outputs) if self.outputs_logits else outputs


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


def load_classifier(path: str | Path) -> Classifier:
    """Load any Keras image classifier from a ``.keras`` or legacy ``.h5`` file, running nothing in it.

    The file's kind is told by its first bytes, not its name. Its configuration is
    read as data and refused when it names a Lambda layer or an object from outside
    Keras; Keras then loads it with ``safe_mode=True`` and no custom objects. The
    model is run once on zeros and random inputs to tell probabilities from logits.

    Parameters
    ----------
    path : str or Path
        The model file.

    Returns
    -------
    Classifier
        The model with its input shape and number of classes; ``outputs_logits``
        and a note when its outputs are not probabilities.

    Raises
    ------
    ModelFileError
        One line naming the file and the problem: missing, larger than
        :data:`MAX_MODEL_BYTES`, neither a ``.keras`` archive nor an HDF5 file,
        a Lambda layer or custom code, a file Keras cannot load, no defined input
        (an unbuilt Sequential model), more than one input or output, an input
        that is not an image, an output that is not ``(batch, K)`` with K >= 2,
        NaN or infinite weights, or NaN outputs.
    """
    path = Path(path)
    model = _load_safely(path, _check_file(path))
    shape = _input_shape(path, model)
    if not _is_image_shape(shape):
        raise _refusal(
            path,
            f"input shape {shape} is not a square image: expected (S, S), (S, S, C), (C, S, S) with C 1 or 3, "
            "or (S*S,), S >= 8",
        )
    outputs = _output_count(path, model)
    logits, note = _probe_outputs(path, model, shape)
    return Classifier(model, shape, outputs, logits, (note,) if note else ())


def load_model(path: str | Path, alphabet: Alphabet) -> tuple[keras.Model, ModelCard]:
    """Load a model file with its card and check that it fits ``alphabet`` and the card's input convention.

    A model without a card gets one naming the alphabet's labels and the canonical
    convention. The file is opened as by :func:`load_classifier`: nothing in it is run.

    Raises
    ------
    ModelFileError
        Naming the file and the problem: missing, not a Keras model, a Lambda
        layer or custom code, an unreadable card, not a single-input classifier,
        NaN weights, an input shape other than the convention's, or outputs that
        do not match the labels.
    """
    path = Path(path)
    kind = _check_file(path)
    card = ModelCard.read(path) or ModelCard(path.stem, alphabet.key, alphabet.labels, names=alphabet.names)
    model = _load_safely(path, kind)
    shape = _input_shape(path, model)
    if shape != card.input.shape:
        raise ModelFileError(f"{path}: input shape {shape}, expected {card.input.shape}")
    outputs = _output_count(path, model)
    expected = (len(card.label_map) or alphabet.num_classes) + (card.rejection is not None)
    if outputs != expected:
        raise ModelFileError(
            f"{path}: {outputs} outputs, but alphabet {alphabet.key!r} has {alphabet.num_classes} labels"
            + (f" and the card maps {len(card.label_map)} outputs" if card.label_map else "")
            + (' and "none of these"' if card.rejection else "")
        )
    if card.labels != alphabet.labels:
        raise ModelFileError(f"{path}: its card's labels differ from alphabet {alphabet.key!r}")
    return model, card


def load_row_model(path: str | Path, alphabet: Alphabet, shape: tuple[int, ...]) -> tuple[keras.Model, ModelCard]:
    """Load a row-reading model (several softmax heads over one wide input) with its card, running nothing in it.

    Parameters
    ----------
    path : str or Path
        The ``.keras`` file; its card must be beside it.
    alphabet : Alphabet
        The alphabet of every head: its labels and one more, "no character".
    shape : tuple of int
        The input shape the model must take, without the batch axis: ``(28, 140, 1)``.

    Raises
    ------
    ModelFileError
        Missing, not a Keras model, custom code, no card, another input shape, or
        outputs that are not ``(batch, heads, labels + 1)``.
    """
    path = Path(path)
    kind = _check_file(path)
    card = ModelCard.read(path)
    if card is None:
        raise ModelFileError(f"{path}: no model card beside it")
    model = _load_safely(path, kind)
    if _input_shape(path, model) != tuple(shape):
        raise ModelFileError(f"{path}: input shape {_input_shape(path, model)}, expected {tuple(shape)}")
    out = tuple(model.outputs[0].shape[1:]) if len(model.outputs) == 1 else ()
    if len(out) != 2 or out[1] != alphabet.num_classes + 1:
        raise ModelFileError(f"{path}: outputs {out}, expected (heads, {alphabet.num_classes + 1})")
    return model, card


# --- the steps of loading ----------------------------------------------------------------------------------------


def _refusal(path: Path, problem: str) -> ModelFileError:
    """The error for a refused file: ``"<path>: <problem>"`` on one line."""
    return ModelFileError(f"{path}: {' '.join(problem.split())}")


def _check_file(path: Path) -> str:
    """``"keras"`` (a zip archive) or ``"h5"`` (HDF5), told by the file's bytes; refuses anything else or too big."""
    if not path.is_file():
        raise _refusal(path, "model file not found")
    size = path.stat().st_size
    if size > MAX_MODEL_BYTES:
        raise _refusal(path, f"{_megabytes(size)} is larger than the {_megabytes(MAX_MODEL_BYTES)} limit for a model")
    with path.open("rb") as file:
        head = file.read(len(HDF5_MAGIC))
    if head == HDF5_MAGIC:
        return "h5"
    if zipfile.is_zipfile(path):
        return "keras"
    raise _refusal(path, "not a Keras model file (expected a .keras zip archive or a legacy .h5 HDF5 file)")


def _over_limit() -> str:
    return f"more than the {_megabytes(MAX_MODEL_BYTES)} limit for a model"


def _megabytes(size: int) -> str:
    """``"104.9 MB"``; whole megabytes without a decimal, such as the limit: ``"100 MB"``."""
    megabytes = size / 1024**2
    return f"{megabytes:.0f} MB" if megabytes.is_integer() else f"{megabytes:.1f} MB"


def _read_config(path: Path, kind: str) -> Any:
    """The model's configuration as plain JSON data, read without Keras; refuses what unpacks to too much."""
    try:
        if kind == "keras":
            with zipfile.ZipFile(path) as archive:
                unpacked = sum(info.file_size for info in archive.infolist())
                if unpacked > MAX_MODEL_BYTES:
                    raise _refusal(path, f"unpacks to {_megabytes(unpacked)}, {_over_limit()}")
                if "config.json" not in archive.namelist():
                    raise _refusal(path, "not a Keras model file (a zip archive without config.json)")
                return json.loads(archive.read("config.json"))
        import h5py  # Keras's own dependency for .h5 files

        with h5py.File(path, "r") as file:
            stored = [0]
            file.visititems(lambda _, item: _add_dataset_bytes(item, stored))
            if stored[0] > MAX_MODEL_BYTES:
                raise _refusal(path, f"its weights hold {_megabytes(stored[0])}, {_over_limit()}")
            config = file.attrs.get("model_config")
            if config is None:
                raise _refusal(path, "an HDF5 file without a model (only weights?)")
            return json.loads(config.decode() if isinstance(config, bytes) else str(config))
    except ModelFileError:
        raise
    except Exception as err:  # zipfile, h5py and json raise many types for damaged or encrypted files
        raise _refusal(path, f"cannot be read as a Keras model: {_summary(err)}") from err


def _add_dataset_bytes(item: Any, total: list[int]) -> None:
    shape, dtype = getattr(item, "shape", None), getattr(item, "dtype", None)
    if shape is not None and dtype is not None:
        total[0] += int(np.prod(shape, dtype=np.int64)) * dtype.itemsize


def _custom_code(config: Any) -> str | None:
    """Why the configuration needs code Keras does not have (a Lambda layer, a custom class), or None."""
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            name = item.get("class_name")
            if name in ("Lambda", "__lambda__") or item.get("function_type") == "lambda":
                return LAMBDA_PROBLEM
            module, registered = item.get("module"), item.get("registered_name")
            custom = isinstance(name, str) and ">" in name
            custom |= isinstance(registered, str) and ">" in registered
            custom |= isinstance(module, str) and module.split(".")[0] not in _KERAS_PACKAGES
            if custom:
                function = item.get("config") if name == "function" else None
                what = _short(str(function if isinstance(function, str) else registered or name))
                origin = f" from {module!r}" if isinstance(module, str) else ""
                return f"contains custom code ({what}{origin}), which is never run here"
            stack.extend(item.values())
    return None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _load_safely(path: Path, kind: str) -> keras.Model:
    """The Keras model in the file, loaded with ``safe_mode=True`` after its configuration was read as data."""
    problem = _custom_code(_read_config(path, kind))
    if problem:
        raise _refusal(path, problem)
    try:
        with _named_for_keras(path, kind) as keras_path:
            model = keras.models.load_model(keras_path, compile=False, safe_mode=True)
    except Exception as err:  # Keras raises many types for damaged files
        raise _refusal(path, _keras_problem(err)) from err
    if not isinstance(model, keras.Model):
        raise _refusal(path, f"holds a {type(model).__name__}, not a Keras model")
    if not all(_finite(keras.ops.convert_to_numpy(weight)) for weight in model.weights):
        raise _refusal(path, "its weights contain NaN or infinite values")
    return model


def _finite(values: np.ndarray) -> bool:
    """Whether no value is NaN or infinite (integers and booleans always are finite)."""
    values = np.asarray(values)
    if values.dtype.kind in "biu":
        return True
    if values.dtype.kind not in "fc":  # e.g. bfloat16, which numpy knows only through ml_dtypes
        values = values.astype(np.float32)
    return bool(np.isfinite(values).all())


@contextmanager
def _named_for_keras(path: Path, kind: str) -> Iterator[Path]:
    """The file under a name whose extension matches its kind, since Keras goes by the extension."""
    if str(path).endswith((".keras",) if kind == "keras" else (".h5", ".hdf5")):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="model-") as folder:
        named = Path(folder) / f"model.{kind}"
        try:
            os.symlink(path.resolve(), named)
        except OSError:
            shutil.copyfile(path, named)
        yield named


_CUSTOM_CLASS = re.compile(
    r"Could not locate (?:class|function) '([^']+)'|Unknown \w+: '([^']+)'|Could not deserialize (?:\w+ )?'([^']+)'"
)
"""How Keras says that a configuration names a class or function it does not have."""


def _keras_problem(err: Exception) -> str:
    """A Keras loading error in a line: its innermost cause's first sentence, or what it means here."""
    text = str(err).rsplit("Exception encountered:", 1)[-1]
    if re.search(r"Lambda` layer|Python lambda|of a `lambda`", text, re.IGNORECASE):
        return LAMBDA_PROBLEM
    if match := re.search(r"Cannot deserialize `([^`]+)` because it is not a modeling function", text):
        return f"uses {_short(match[1])}, which is not part of a model and is never run here"
    if match := _CUSTOM_CLASS.search(text):
        name = next(group for group in match.groups() if group)
        return f"contains custom code ({_short(name)}, not part of Keras), which is never run here"
    return f"cannot be loaded as a Keras model ({type(err).__name__}: {_summary(err, text)})"


def _summary(err: Exception, text: str | None = None) -> str:
    """The first sentence of an error message, at most ``_MAX_SUMMARY`` characters, on one line."""
    text = " ".join((str(err) if text is None else text).split())
    text = re.split(r"(?<=[.!?])\s|\s(?:Full object config|Received|config)\s*[:=]", text, maxsplit=1)[0]
    text = text.rstrip(".") or type(err).__name__
    return _short(text, _MAX_SUMMARY)


def _input_shape(path: Path, model: keras.Model) -> tuple[int, ...]:
    """The shape of the model's single input without the batch axis; refuses none or several."""
    try:
        inputs = list(model.inputs or [])
    except (AttributeError, ValueError):  # an unbuilt Sequential model
        inputs = []
    if not inputs:
        raise _refusal(path, "not a model with a defined input (an unbuilt Sequential model has none)")
    if len(inputs) != 1:
        raise _refusal(path, f"the model takes {len(inputs)} inputs; an image classifier takes one image")
    return tuple(inputs[0].shape[1:])


def _output_count(path: Path, model: keras.Model) -> int:
    """K of the model's single ``(batch, K)`` output; refuses several outputs or another shape."""
    try:
        outputs = list(model.outputs or [])
    except (AttributeError, ValueError):
        outputs = []
    if len(outputs) != 1:
        raise _refusal(path, f"the model has {len(outputs)} outputs; a classifier has one, its class scores")
    shape = tuple(outputs[0].shape)
    if len(shape) != 2 or not isinstance(shape[1], int) or shape[1] < 2:
        raise _refusal(path, f"output shape {shape} is not class scores: expected (batch, K) with K >= 2 classes")
    return shape[1]


def _is_image_shape(shape: tuple[Any, ...]) -> bool:
    """(H, W), (H, W, C), (C, H, W) with C in {1, 3} and H == W >= 8, or (N,) with N a square >= 64."""
    if not shape or not all(isinstance(d, int) for d in shape):
        return False
    if len(shape) == 1:
        side = int(np.sqrt(shape[0]))
        return shape[0] >= 64 and side * side == shape[0]
    if len(shape) == 2:
        height, width = shape
    elif len(shape) == 3 and shape[2] in (1, 3) and shape[0] == shape[1]:
        height, width = shape[:2]
    elif len(shape) == 3 and shape[0] in (1, 3):
        height, width = shape[1:]
    else:
        return False
    return height == width >= 8


def _probe_outputs(path: Path, model: keras.Model, shape: tuple[int, ...]) -> tuple[bool, str | None]:
    """Run the model on zeros and random inputs: whether it gives logits, and the note that says so."""
    inputs = np.random.default_rng(0).uniform(0, 1, (PROBE_BATCH, *shape)).astype(np.float32)
    inputs[0] = 0
    try:
        outputs = model(inputs, training=False)
        if isinstance(outputs, dict):
            outputs = list(outputs.values())
        if isinstance(outputs, list | tuple):
            (outputs,) = outputs
        outputs = np.asarray(keras.ops.convert_to_numpy(outputs), np.float64)
    except Exception as err:  # whatever a model's layers raise
        raise _refusal(path, f"the model fails on an input of shape {shape} ({_summary(err)})") from err
    if not np.isfinite(outputs).all():
        raise _refusal(path, "its outputs are NaN or infinite for plain inputs (zeros, random values in [0, 1])")
    sums = outputs.sum(axis=-1)
    in_range = (outputs >= -PROBABILITY_TOLERANCE).all() and (outputs <= 1 + PROBABILITY_TOLERANCE).all()
    if in_range and (np.abs(sums - 1) <= PROBABILITY_TOLERANCE).all():
        return False, None
    if (np.abs(sums - 1) <= PROBABILITY_TOLERANCE).all():
        measured = f"its values range from {outputs.min():.3g} to {outputs.max():.3g}"
    else:
        measured = f"it sums to {sums[np.argmax(np.abs(sums - 1))]:.3g}"
    return True, f"the output is not a probability distribution ({measured}): softmax is applied to it"


def _softmax(x: np.ndarray) -> np.ndarray:
    shifted = np.exp(x - x.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)
