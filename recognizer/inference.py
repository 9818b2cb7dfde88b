"""Recognise one drawing: preprocessing, the model's input convention, and a forward pass with every activation."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from . import reading
from .alphabets import Alphabet, get_alphabet
from .backend import keras, run_split, tf
from .card import ModelCard, ModelFileError, softmax
from .check import ModelCheck, find_convention
from .convention import Convention
from .layers import LayerInfo, describe_layers, layer_output
from .modelfile import Classifier, load_classifier, load_model
from .preprocess import MODEL_SIZE, Step, preprocess
from .reading import Reading
from .saliency import GradCam

__all__ = ["Checked", "Forward", "Recognizer", "Result", "Scores", "check_model", "load"]

TOP_K = 3
SPLIT_BATCH = 8
"""The fewest inputs of a batch worth a core of their own (:func:`recognizer.backend.run_split`)."""


@dataclass(frozen=True)
class Forward:
    """One forward pass.

    Attributes
    ----------
    probabilities : np.ndarray
        (num_classes,) float32 in label order, summing to 1 minus ``none_probability``.
    activations : dict of str to np.ndarray
        Every shown layer's output (batch axis removed), by layer name, in
        layer order (see :attr:`Recognizer.layers`), ending with the output layer's.
    none_probability : float
        Probability of "none of these" (0 for a model without that output).
    """

    probabilities: np.ndarray = field(repr=False)
    activations: dict[str, np.ndarray] = field(repr=False)
    none_probability: float = 0.0


@dataclass(frozen=True)
class Scores:
    """What the model says about a batch of inputs.

    Attributes
    ----------
    probabilities : np.ndarray
        (N, num_classes) float32, each row summing to 1 minus its ``none`` value.
    none : np.ndarray
        (N,) float32 probability of "none of these" (zeros without that output).
    rejected : np.ndarray
        (N,) bool, where "none of these" wins (see :attr:`recognizer.card.Rejection.threshold`).
    """

    probabilities: np.ndarray
    none: np.ndarray
    rejected: np.ndarray


@dataclass(frozen=True)
class Result:
    """What the recognizer made of one image.

    Attributes
    ----------
    top_k : list of (str, float)
        The 3 most likely labels with their probabilities, descending; ``[]`` when blank.
        Real labels only, also when the drawing is rejected.
    probabilities : np.ndarray
        (num_classes,) float32 in label order, summing to 1 minus ``none_probability``; zeros when blank.
    model_input : np.ndarray
        (28, 28) float32 in [0, 1], the canonical image (before the model's convention).
    steps : dict of Step to np.ndarray
        Preprocessing steps in order, ending with the model input.
    activations : dict of str to np.ndarray
        Every shown layer's output for this input (see :class:`Forward`); ``{}`` when blank.
    polarity : str
        The detected ink polarity.
    blank_reason : str or None
        Why nothing was classified, or None.
    none_probability : float
        Probability that the drawing is none of the alphabet's characters
        (0 for a model without a "none of these" output).
    is_rejected : bool
        Whether the model says "none of these".
    """

    top_k: list[tuple[str, float]]
    probabilities: np.ndarray = field(repr=False)
    model_input: np.ndarray = field(repr=False)
    steps: dict[Step, np.ndarray] = field(repr=False)
    activations: dict[str, np.ndarray] = field(repr=False)
    polarity: str
    blank_reason: str | None = None
    none_probability: float = 0.0
    is_rejected: bool = False

    @property
    def is_blank(self) -> bool:
        return self.blank_reason is not None


class Recognizer:
    """A loaded classifier for one alphabet. Create it with :func:`load`.

    Attributes
    ----------
    alphabet : Alphabet
        Labels and names, in the model's output order.
    model : keras.Model
        The classifier.
    path : Path
        The model file.
    card : ModelCard
        The model's card; ``card.input`` is the convention its input follows.
    layers : list of LayerInfo
        The layers whose activations :meth:`forward` returns, in order, the last being the output.
    """

    def __init__(self, alphabet: Alphabet, model: keras.Model, path: Path, card: ModelCard) -> None:
        self.alphabet = alphabet
        self.model = model
        self.path = path
        self.card = card
        self.layers: list[LayerInfo] = describe_layers(model)
        probe = keras.Model(model.inputs, [layer_output(model.get_layer(info.name)) for info in self.layers])
        spec = tf.TensorSpec((None, *self.convention.shape), tf.float32)
        self._forward = tf.function(lambda x: probe(x, training=False), input_signature=[spec])
        self._classify = tf.function(lambda x: model(x, training=False), input_signature=[spec])
        self._forward(tf.zeros((1, *self.convention.shape)))  # trace now, not on the first drawing

    @property
    def convention(self) -> Convention:
        """The input convention of the model (from its card)."""
        return self.card.input

    def __repr__(self) -> str:
        return f"Recognizer({self.alphabet.key!r}, {self.path.name!r})"

    def forward(self, model_input: np.ndarray) -> Forward:
        """Run the model on one input tensor and record every layer's activations.

        Parameters
        ----------
        model_input : np.ndarray
            float32 of the convention's shape, with or without a batch axis of 1:
            ``self.convention.apply(canonical)``.

        Returns
        -------
        Forward
            The class probabilities and every shown layer's activations.
        """
        x = np.asarray(model_input, np.float32).reshape(1, *self.convention.shape)
        outputs = self._forward(tf.constant(x))
        activations = {info.name: out.numpy()[0] for info, out in zip(self.layers, outputs, strict=True)}
        raw = activations[self.layers[-1].name]
        return Forward(self.card.label_probabilities(raw), activations, float(self.card.none_probability(raw)))

    def recognize(self, image: np.ndarray, background: float | None = None) -> Result:
        """Preprocess a drawing, bring it into the model's convention and run :meth:`forward`.

        Parameters
        ----------
        image : np.ndarray
            uint8, HxW, HxWx3 (RGB) or HxWx4 (RGBA), at least 8x8, values 0..255.
        background : float, optional
            The background's grey level when it is known, as on the app's canvas (black: 0).

        Raises
        ------
        ValueError
            If the dtype or shape is not one of the above.
        """
        pre = preprocess(image, self.convention.skip, background)
        if pre.is_blank:
            empty = np.zeros(self.alphabet.num_classes, np.float32)
            return Result([], empty, pre.model_input, pre.steps, {}, pre.polarity, pre.blank_reason)
        out = self.forward(self.convention.apply(pre.model_input))
        return Result(
            self.top_k(out.probabilities),
            out.probabilities,
            pre.model_input,
            pre.steps,
            out.activations,
            pre.polarity,
            none_probability=out.none_probability,
            is_rejected=bool(self.rejects(out.none_probability)),
        )

    def read(self, image: np.ndarray, method: str | None = None, background: float | None = None) -> Reading:
        """Read a row of characters written left to right (:func:`recognizer.reading.read`).

        ``method``: ``"sequence"`` and ``"multihead"`` (alphabets with those row models),
        ``"segment"`` or ``"window"``; default the most accurate the alphabet can use.
        """
        return reading.read(self, image, method, background)

    def rejects(self, none_probability: float | np.ndarray) -> bool | np.ndarray:
        """Whether a "none of these" probability (or an array of them) means the drawing is rejected."""
        rejection = self.card.rejection
        return np.asarray(none_probability) >= (rejection.threshold if rejection else np.inf)

    def top_k(self, probabilities: np.ndarray, k: int = TOP_K) -> list[tuple[str, float]]:
        """The ``k`` most likely (label, probability) pairs, descending, from a (num_classes,) vector."""
        order = np.argsort(probabilities)[::-1][:k]
        return [(self.alphabet.labels[i], float(probabilities[i])) for i in order]

    def score_inputs(self, model_inputs: np.ndarray) -> Scores:
        """What the model says about a batch of model inputs already in the convention, (N,) + shape, in one pass."""
        x = np.asarray(model_inputs, np.float32).reshape(-1, *self.convention.shape)
        raw = run_split(self._classify, x, SPLIT_BATCH)
        none = self.card.none_probability(raw)
        return Scores(self.card.label_probabilities(raw), none, self.rejects(none))

    def classify_inputs(self, model_inputs: np.ndarray) -> np.ndarray:
        """Label probabilities for a batch of model inputs already in the convention: (N,) + shape -> (N, C)."""
        return self.score_inputs(model_inputs).probabilities

    @cached_property
    def _grad_cam(self) -> GradCam:
        return GradCam(self.model, self.layers, self.card.outputs)

    def grad_cam(self, model_input: np.ndarray, labels: list[int]) -> np.ndarray | None:
        """Grad-CAM of some labels on the last convolution, laid over the canonical 28 x 28 image.

        Parameters
        ----------
        model_input : np.ndarray
            One input in the convention (``self.convention.apply(canonical)[0]``).
        labels : list of int
            Label indices to explain.

        Returns
        -------
        np.ndarray or None
            (len(labels), 28, 28) float32 in [0, 1]; None for a model without a convolution.
        """
        outputs = [self.card.label_map.index(i) if self.card.label_map else i for i in labels]
        maps = self._grad_cam(model_input, outputs, (MODEL_SIZE, MODEL_SIZE))
        if maps is None or not self.convention.transposed:  # a transposed model sees the image's columns as rows
            return maps
        return np.ascontiguousarray(maps.transpose(0, 2, 1))

    def classify(self, canonical: np.ndarray, batch_size: int = 512) -> np.ndarray:
        """Class probabilities for many preprocessed images.

        Parameters
        ----------
        canonical : np.ndarray
            (N, 28, 28) float32 in [0, 1], canonical images (the convention is applied here).

        Returns
        -------
        np.ndarray
            (N, num_classes) float32 probabilities.
        """
        chunks = [
            self.classify_inputs(self.convention.apply(canonical[i : i + batch_size]))
            for i in range(0, len(canonical), batch_size)
        ]
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


def load(alphabet: str | Alphabet, model: str | Path | None = None) -> Recognizer:
    """Load a recognizer.

    The first load in a process runs TensorFlow on one thread (fastest for one
    drawing at a time), unless TensorFlow has already started.

    Parameters
    ----------
    alphabet : str or Alphabet
        ``"digits"``, ``"letters"`` or ``"runes"``, or an alphabet of one's own
        (:func:`recognizer.drawings.custom_alphabet`) with a model file's path.
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
    spec = alphabet if isinstance(alphabet, Alphabet) else get_alphabet(alphabet)
    if model is None or (isinstance(model, str) and model in spec.models):
        path = spec.model_path(model)
    elif str(model).endswith((".keras", ".h5")):
        path = Path(model)
    else:
        raise ValueError(
            f"unknown model {model!r} for {alphabet!r}; expected one of {', '.join(spec.models)} or a .keras/.h5 path"
        )
    _one_thread()
    if ModelCard.read(path) is None and path.is_file():  # a model from elsewhere: find out how to feed it
        checked = check_model(path, spec.key)
        if checked.recognizer is None:
            raise ModelFileError(f"{path}: {checked.found.verdict(spec)}")
        return checked.recognizer
    network, card = load_model(path, spec)
    return Recognizer(spec, network, path, card)


def _classify(classifier: Classifier, batch_size: int = 256):
    """``classify(x) -> (N, K)`` probabilities of a loaded classifier (softmax applied to logits)."""
    spec = tf.TensorSpec((None, *classifier.input_shape), tf.float32)
    run = tf.function(lambda x: classifier.model(x, training=False), input_signature=[spec])

    def classify(x: np.ndarray) -> np.ndarray:
        raw = np.concatenate([run(tf.constant(x[i : i + batch_size])).numpy() for i in range(0, len(x), batch_size)])
        return softmax(raw) if classifier.outputs_logits else raw

    return classify


def _card_from_check(path: Path, alphabet: Alphabet, classifier: Classifier, found: ModelCheck) -> ModelCard:
    """A card for a model without one: the convention, output kind and order found, and the probe accuracy."""
    return ModelCard(
        name=path.stem,
        alphabet=alphabet.key,
        labels=alphabet.labels,
        input=found.convention,
        names=alphabet.names,
        validation={"probe": {"samples": found.samples, "accuracy": round(found.accuracy, 5)}},
        outputs="logits" if classifier.outputs_logits else "probabilities",
        label_map=() if found.mapping_is_identity else found.mapping,
    )


@dataclass(frozen=True)
class Checked:
    """A model file checked by :func:`check_model`.

    Attributes
    ----------
    found : ModelCheck
        The convention, output order and probe accuracy.
    notes : tuple of str
        What else was found in the file (e.g. that softmax is applied to its logits).
    recognizer : Recognizer or None
        Ready to read drawings with what was found; None when no convention works.
    """

    found: ModelCheck
    notes: tuple[str, ...]
    recognizer: Recognizer | None = field(repr=False)


def check_model(path: str | Path, alphabet: str, labels: list[str] | None = None) -> Checked:
    """Check a Keras classifier file: the input convention and output order it needs, and its probe accuracy.

    Parameters
    ----------
    path : str or Path
        A ``.keras`` or ``.h5`` file (nothing in it is run: see :func:`recognizer.modelfile.load_classifier`).
    alphabet : str
        The alphabet it is meant to read.
    labels : list of str, optional
        The label of each output in order (``"-"`` for none), when the order found is unclear or wrong.

    Raises
    ------
    ModelFileError
        The file is not a usable image classifier, or ``labels`` do not fit its outputs.
    """
    _one_thread()
    path, spec = Path(path), get_alphabet(alphabet)
    classifier = load_classifier(path)
    if labels is not None and len(labels) != classifier.num_outputs:
        raise ModelFileError(f"{path}: {len(labels)} labels given for its {classifier.num_outputs} outputs")
    found = find_convention(_classify(classifier), classifier.input_shape, spec.key, labels=labels)
    card = _card_from_check(path, spec, classifier, found)
    rec = Recognizer(spec, classifier.model, path, card) if found.works else None
    return Checked(found, classifier.notes, rec)
