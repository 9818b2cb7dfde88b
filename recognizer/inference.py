"""Recognise one drawing: preprocessing, a forward pass and every layer's activations."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from .alphabets import Alphabet, get_alphabet
from .model import load_model, read_metadata
from .preprocess import MODEL_SIZE, preprocess

__all__ = ["Recognizer", "Result", "load"]

TOP_K = 3


@dataclass(frozen=True)
class Result:
    """What the recognizer made of one image.

    Attributes
    ----------
    top_k : list of (str, float)
        The 3 most likely labels with their probabilities, descending; ``[]`` when blank.
    probabilities : np.ndarray
        (num_classes,) float32 summing to 1, in label order; zeros when blank.
    model_input : np.ndarray
        (28, 28) float32 in [0, 1].
    steps : dict of str to np.ndarray
        Preprocessing steps in order, ending with the model input.
    activations : dict of str to np.ndarray
        Every computing layer's output for this input (batch axis removed), in
        layer order, ending with ``"output"``; ``{}`` when blank.
    polarity : str
        The detected ink polarity.
    blank_reason : str or None
        Why nothing was classified, or None.
    """

    top_k: list[tuple[str, float]]
    probabilities: np.ndarray = field(repr=False)
    model_input: np.ndarray = field(repr=False)
    steps: dict[str, np.ndarray] = field(repr=False)
    activations: dict[str, np.ndarray] = field(repr=False)
    polarity: str
    blank_reason: str | None = None

    @property
    def is_blank(self) -> bool:
        return self.blank_reason is not None


class Recognizer:
    """A loaded model for one alphabet. Create it with :func:`load`.

    Attributes
    ----------
    alphabet : Alphabet
        Labels and names, in the model's output order.
    model : keras.Model
        The classifier.
    path : Path
        The model file.
    metadata : dict
        The model's metadata JSON (``{}`` if it has none).
    """

    def __init__(self, alphabet: Alphabet, model: keras.Model, path: Path) -> None:
        self.alphabet = alphabet
        self.model = model
        self.path = path
        self.metadata = read_metadata(path)
        # Dropout is the identity at inference and the input is shown as a step: neither is a layer to look into.
        self.layer_names = [
            layer.name
            for layer in model.layers
            if not isinstance(layer, (keras.layers.InputLayer, keras.layers.Dropout))
        ]
        probe = keras.Model(model.inputs, [model.get_layer(n).output for n in self.layer_names])
        spec = tf.TensorSpec((None, MODEL_SIZE, MODEL_SIZE, 1), tf.float32)
        self._forward = tf.function(lambda x: probe(x, training=False), input_signature=[spec])
        self._classify = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        self._forward(tf.zeros((1, MODEL_SIZE, MODEL_SIZE, 1)))  # trace now, not on the first drawing

    def __repr__(self) -> str:
        return f"Recognizer({self.alphabet.key!r}, {self.path.name!r})"

    def recognize(self, image: np.ndarray) -> Result:
        """Preprocess a drawing, classify it and record every layer's activations.

        Parameters
        ----------
        image : np.ndarray
            uint8, HxW, HxWx3 (RGB) or HxWx4 (RGBA), at least 8x8, values 0..255.

        Raises
        ------
        ValueError
            If the dtype or shape is not one of the above.
        """
        pre = preprocess(image)
        if pre.is_blank:
            empty = np.zeros(self.alphabet.num_classes, np.float32)
            return Result([], empty, pre.model_input, pre.steps, {}, pre.polarity, pre.blank_reason)
        outputs = self._forward(tf.constant(pre.model_input[None, :, :, None]))
        activations = {name: out.numpy()[0] for name, out in zip(self.layer_names, outputs, strict=True)}
        probabilities = activations[self.layer_names[-1]]
        return Result(self.top_k(probabilities), probabilities, pre.model_input, pre.steps, activations, pre.polarity)

    def top_k(self, probabilities: np.ndarray, k: int = TOP_K) -> list[tuple[str, float]]:
        """The ``k`` most likely (label, probability) pairs, descending, from a (num_classes,) vector."""
        order = np.argsort(probabilities)[::-1][:k]
        return [(self.alphabet.labels[i], float(probabilities[i])) for i in order]

    def classify(self, model_inputs: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Class probabilities for many preprocessed inputs.

        Parameters
        ----------
        model_inputs : np.ndarray
            (N, 28, 28) float32 in [0, 1].

        Returns
        -------
        np.ndarray
            (N, num_classes) float32 probabilities.
        """
        x = np.asarray(model_inputs, np.float32).reshape(-1, MODEL_SIZE, MODEL_SIZE, 1)
        chunks = [self._classify(tf.constant(x[i : i + batch_size])).numpy() for i in range(0, len(x), batch_size)]
        return np.concatenate(chunks) if chunks else np.zeros((0, self.alphabet.num_classes), np.float32)


def _one_thread() -> None:
    """Run TensorFlow on one thread, unless it has started already.

    A single 28x28 forward pass is too small to split across cores, and idle
    TensorFlow threads spinning on the other core slow down the preprocessing
    of the next drawing: one thread makes ``recognize`` about 1 ms faster on 2
    cores (``bench/bench_recognize.py``).
    """
    with suppress(RuntimeError):  # TensorFlow already runs, e.g. after training in this process: keep its threads
        tf.config.threading.set_intra_op_parallelism_threads(1)


def load(alphabet: str, model: str | Path | None = None) -> Recognizer:
    """Load a recognizer.

    The first load in a process runs TensorFlow on one thread (fastest for one
    drawing at a time), unless TensorFlow has already started.

    Parameters
    ----------
    alphabet : str
        ``"digits"``, ``"letters"`` or ``"runes"``.
    model : str or Path, optional
        A shipped model name of that alphabet (``"cnn"``, ``"mlp"``), or the path
        of a ``.keras`` file. Default: the alphabet's first shipped model.

    Raises
    ------
    ValueError
        Unknown alphabet or model name.
    ModelFileError
        The model file is missing, corrupt or does not fit the alphabet.
    """
    spec = get_alphabet(alphabet)
    if model is None or (isinstance(model, str) and model in spec.models):
        path = spec.model_path(model)
    elif str(model).endswith(".keras"):
        path = Path(model)
    else:
        raise ValueError(
            f"unknown model {model!r} for {alphabet!r}; expected one of {', '.join(spec.models)} or a .keras path"
        )
    _one_thread()
    return Recognizer(spec, load_model(path, spec), path)
