"""The networks Handwriting Lab trains: a small CNN and a dense-only MLP, with layers named for the app,
and the two networks that read a row of digits: one head per position, or one reading per column (CTC).

The first two take the canonical (batch, 28, 28, 1) float32 input in [0, 1]; all end in a
softmax layer named ``output``.
"""

from __future__ import annotations

import numpy as np

from ..backend import keras
from ..preprocess import MODEL_SIZE

layers = keras.layers

__all__ = [
    "BUILDERS",
    "CNN_BLOCKS",
    "SEQUENCE_STRIDE",
    "build_cnn",
    "build_mlp",
    "build_row_cnn",
    "build_sequence_cnn",
    "copy_weights",
    "fold_batch_norm",
]


CNN_BLOCKS = ((32,), (64, 64), (128,))
"""Filters of the 3x3 convolutions in each block of :func:`build_cnn`; every block ends in 2x2 max pooling."""


def _convolutions(
    x: keras.KerasTensor,
    blocks: tuple[tuple[int, ...], ...] = CNN_BLOCKS,
    batch_norm: bool = False,
    last_pool: tuple[int, int] = (2, 2),
    last_strides: tuple[int, int] | None = None,
) -> keras.KerasTensor:
    """Blocks of 3x3 convolutions ``conv1``, ``conv2a``, ``conv2b``, ..., each block ending in max pooling ``poolN``.

    With ``batch_norm``, each convolution is followed by ``bnN`` and ``reluN``; the last
    block pools by ``last_pool``, moving by ``last_strides`` (default: the pool's size).
    """
    activation = None if batch_norm else "relu"  # with batch norm, the ReLU comes after it
    for i, block in enumerate(blocks, start=1):
        for j, filters in enumerate(block):
            tag = f"{i}{'abcdefgh'[j] if len(block) > 1 else ''}"
            x = layers.Conv2D(
                filters, 3, padding="same", activation=activation, use_bias=not batch_norm, name=f"conv{tag}"
            )(x)
            if batch_norm:
                x = layers.BatchNormalization(name=f"bn{tag}")(x)
                x = layers.Activation("relu", name=f"relu{tag}")(x)
        last = i == len(blocks)
        x = layers.MaxPooling2D(last_pool if last else (2, 2), last_strides if last else None, name=f"pool{i}")(x)
    return x


def build_cnn(
    num_classes: int,
    name: str = "cnn",
    blocks: tuple[tuple[int, ...], ...] = CNN_BLOCKS,
    dense: int = 256,
    batch_norm: bool = False,
) -> keras.Model:
    """A small, fast convolutional network with named layers.

    Blocks of 3x3 convolutions (by default 32; 64, 64; 128 filters), each
    followed by max pooling, one dense layer and a softmax output. Layers are
    named ``conv1``, ``conv2a``, ``conv2b``, ... (a letter where a block has
    several), ``pool1``..., ``dense`` and ``output``. The default has about
    0.43 M parameters and takes under 1 ms for one image on 2 cores.

    Parameters
    ----------
    num_classes : int
        Number of output classes.
    blocks : tuple of tuple of int
        Filters of each convolution, block by block.
    dense : int
        Units of the dense layer.
    batch_norm : bool
        For training only: batch normalisation between each convolution and its
        ReLU (layers ``bnN``, ``reluN``). :func:`fold_batch_norm` turns the trained
        network into the plain one, which is what is saved and shown.

    Returns
    -------
    keras.Model
        Input (batch, 28, 28, 1) float32 in [0, 1]; output (batch, num_classes) probabilities.
    """
    inputs = keras.Input((MODEL_SIZE, MODEL_SIZE, 1), name="input")
    x = _convolutions(inputs, blocks, batch_norm)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dropout(0.25, name="dropout1")(x)
    x = layers.Dense(dense, activation="relu", name="dense")(x)
    x = layers.Dropout(0.3, name="dropout2")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def fold_batch_norm(trained: keras.Model, plain: keras.Model) -> keras.Model:
    """Copy a network trained with ``batch_norm=True`` into its plain twin, folding each ``bnN`` into ``convN``.

    At inference batch normalisation is an affine map per channel,
    ``gamma * (z - mean) / sqrt(var + eps) + beta``, so it folds into the
    convolution before it: the kernel is scaled per output channel and the
    shift becomes the bias. The two networks give the same outputs.

    Parameters
    ----------
    trained : keras.Model
        Built by :func:`build_cnn` with ``batch_norm=True`` and trained.
    plain : keras.Model
        Built by :func:`build_cnn` with the same arguments but ``batch_norm=False``.

    Returns
    -------
    keras.Model
        ``plain``, with the folded weights.
    """
    for layer in plain.layers:
        if not layer.weights:
            continue
        source = trained.get_layer(layer.name)
        if isinstance(layer, layers.Conv2D):
            norm = trained.get_layer("bn" + layer.name.removeprefix("conv"))
            gamma, beta, mean, variance = norm.get_weights()
            scale = gamma / np.sqrt(variance + norm.epsilon)
            layer.set_weights([source.get_weights()[0] * scale, beta - mean * scale])
        else:
            layer.set_weights(source.get_weights())
    return plain


def build_mlp(num_classes: int, name: str = "mlp") -> keras.Model:
    """The plain dense network used for teaching comparisons: 784-200-150-100-50-N, ReLU.

    Returns
    -------
    keras.Model
        Input (batch, 28, 28, 1) float32 in [0, 1]; output (batch, num_classes) probabilities.
    """
    inputs = keras.Input((MODEL_SIZE, MODEL_SIZE, 1), name="input")
    x = layers.Flatten(name="flatten")(inputs)
    for i, units in enumerate((200, 150, 100, 50), start=1):
        x = layers.Dense(units, activation="relu", name=f"dense{i}")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def build_row_cnn(slots: int, classes: int, name: str = "row", dense: int = 256, where: int = 32) -> keras.Model:
    """The multi-head row network: one softmax head per slot, each reading the row where it looks.

    Two paths share :func:`build_cnn`'s blocks over a (28, 28 * slots) row:

    - **what**: the single-character CNN's dense layer and classifier, applied to a
      window of 24 x 24 pixels every 4 columns (the dense layer becomes a 3x3
      convolution, dilated across, over the last block pooled 2x2 with strides 2x1).
      The same weights read every window, so a digit is read alike wherever it is;
    - **where**: a small network over all the windows says where each head looks
      (a softmax over the windows, layer ``attention``) and how likely its slot is
      empty (``prior``).

    Each head's output is the classifier applied to the windows it looks at
    (``read``), plus its prior. Only Keras layers, so the file loads with
    ``safe_mode=True``.

    Parameters
    ----------
    slots : int
        Characters read at most (heads), each 28 pixels of the row's width.
    classes : int
        Classes of each head: the labels and "no character".
    dense : int
        Units of the classifier's dense layer (the single-character CNN's).
    where : int
        Features each window gives the where path.

    Returns
    -------
    keras.Model
        Input (batch, 28, 28 * slots, 1) float32 in [0, 1]; output (batch, slots, classes) probabilities.
    """
    inputs = keras.Input((MODEL_SIZE, MODEL_SIZE * slots, 1), name="input")
    x = _convolutions(inputs, last_strides=(2, 1))
    x = layers.Dropout(0.25, name="dropout1")(x)
    x = layers.Conv2D(dense, 3, dilation_rate=(1, 2), activation="relu", name="dense")(x)
    windows = layers.Reshape((x.shape[2], dense), name="windows")(x)
    windows = layers.Dropout(0.3, name="dropout2")(windows)
    w = layers.Dense(where, activation="relu", name="where")(windows)
    w = layers.Flatten(name="where_all")(w)
    w = layers.Dense(256, activation="relu", name="where_dense")(w)
    looks = layers.Dense(slots * windows.shape[1], name="looks")(w)
    looks = layers.Reshape((slots, windows.shape[1]), name="looks_per_head")(looks)
    attention = layers.Softmax(name="attention")(looks)
    prior = layers.Dense(slots * classes, kernel_initializer="zeros", name="prior")(w)
    prior = layers.Reshape((slots, classes), name="prior_per_head")(prior)
    read = layers.Dot(axes=(2, 1), name="read")([attention, windows])
    x = layers.Dense(classes, name="what")(read)
    x = layers.Add(name="heads")([x, prior])
    outputs = layers.Softmax(name="output")(x)
    return keras.Model(inputs, outputs, name=name)


SEQUENCE_STRIDE = 4
"""Columns of the row each step of :func:`build_sequence_cnn` reads: two 2x2 poolings."""


def build_sequence_cnn(width: int, classes: int, name: str = "sequence", features: int = 256) -> keras.Model:
    """The sequence network: :func:`build_cnn`'s blocks over a (28, width) row, then a reading every 4 columns.

    The last pooling halves only the height, so the row's width becomes ``width / 4``
    steps; each step sees its columns and, through a 1-D convolution, its neighbours',
    and says which label is there or "nothing" (the CTC blank). Trained with CTC, it
    needs no cutting and no fixed number of characters: a character is a run of steps
    with the same label (:func:`recognizer.reading.ctc_decode`).

    Parameters
    ----------
    width : int
        The row's width in pixels, a multiple of :data:`SEQUENCE_STRIDE`.
    classes : int
        Classes of each step: the labels and "nothing" last.
    features : int
        Width of each step's features.

    Returns
    -------
    keras.Model
        Input (batch, 28, width, 1) float32 in [0, 1]; output (batch, width / 4, classes) probabilities.
    """
    inputs = keras.Input((MODEL_SIZE, width, 1), name="input")
    x = _convolutions(inputs, last_pool=(2, 1))
    steps = width // SEQUENCE_STRIDE
    x = layers.Permute((2, 1, 3), name="columns")(x)
    x = layers.Reshape((steps, x.shape[2] * x.shape[3]), name="steps")(x)
    x = layers.Dense(features, activation="relu", name="dense")(x)
    x = layers.Dropout(0.25, name="dropout1")(x)
    x = layers.Conv1D(features, 5, padding="same", activation="relu", name="context")(x)
    x = layers.Dropout(0.25, name="dropout2")(x)
    outputs = layers.Dense(classes, activation="softmax", name="output")(x)
    return keras.Model(inputs, outputs, name=name)


def copy_weights(source: keras.Model, target: keras.Model) -> list[str]:
    """Start ``target``'s layers from ``source``'s, in order, for as long as each finds a layer of its size.

    Each of ``source``'s layers with weights goes into the next layer of ``target``
    with as many weights of each kind, reshaped: a convolution into a convolution,
    and a dense layer over 3 x 3 x 128 features into a 3 x 3 convolution over them.
    A convolution sees only a patch, so the filters of a network that reads one
    character work unchanged over a whole row: a row network starts from what the
    single-character network learnt from far more drawings.

    Returns
    -------
    list of str
        The names of ``source``'s layers copied; copying stops at the first that finds no layer.
    """
    targets = iter([layer for layer in target.layers if layer.weights])
    copied = []
    for layer in (layer for layer in source.layers if layer.weights):
        weights = layer.get_weights()
        sizes = [w.size for w in weights]
        into = next((t for t in targets if [w.size for w in t.get_weights()] == sizes), None)
        if into is None:
            break
        into.set_weights([w.reshape(t.shape) for w, t in zip(weights, into.get_weights(), strict=True)])
        copied.append(layer.name)
    return copied


BUILDERS = {"cnn": build_cnn, "mlp": build_mlp}
"""Architecture name (as in ``<alphabet>_<name>.keras``) -> builder."""
