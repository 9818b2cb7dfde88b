"""What each layer of a Keras classifier is, read from its type (never its name).

A model the app did not train names its layers ``dense_3`` or ``block2_conv``;
the type says what the layer does, so any classifier is shown correctly.
"""

from __future__ import annotations

from dataclasses import dataclass

from .backend import keras

kl = keras.layers

__all__ = ["KINDS", "LayerInfo", "describe_layers", "layer_kind", "layer_output"]

KINDS: dict[str, str] = {
    "convolution": "convolution: where each filter finds its pattern",
    "pooling": "pooling: the strongest (or mean) response per patch",
    "normalisation": "normalisation: each channel rescaled to a common range",
    "activation": "activation: a non-linear function of each value",
    "flatten": "the maps laid out as one long vector",
    "flatten input": "the input image laid out as one long vector, a value per pixel",
    "reshape": "the same values in another shape",
    "merge": "several layers' outputs combined",
    "dense": "fully connected units",
    "model": "a nested model: its layers run as one",
    "other": "a layer of another kind",
    "output": "softmax: one probability per class",
}
"""Every layer kind and what it does, in words for the page that shows the layers."""

_BY_TYPE: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("model", (keras.Model,)),
    (
        "convolution",
        (kl.Conv1D, kl.Conv2D, kl.Conv3D, kl.DepthwiseConv2D, kl.SeparableConv1D, kl.SeparableConv2D),
    ),
    (
        "pooling",
        (
            kl.MaxPooling1D,
            kl.MaxPooling2D,
            kl.AveragePooling1D,
            kl.AveragePooling2D,
            kl.GlobalMaxPooling1D,
            kl.GlobalMaxPooling2D,
            kl.GlobalAveragePooling1D,
            kl.GlobalAveragePooling2D,
        ),
    ),
    (
        "normalisation",
        (kl.BatchNormalization, kl.LayerNormalization, kl.GroupNormalization, kl.UnitNormalization, kl.Rescaling),
    ),
    ("activation", (kl.Activation, kl.ReLU, kl.LeakyReLU, kl.PReLU, kl.ELU, kl.Softmax)),
    ("flatten", (kl.Flatten,)),
    ("reshape", (kl.Reshape, kl.Permute)),
    ("merge", (kl.Add, kl.Concatenate, kl.Multiply, kl.Average, kl.Maximum, kl.Subtract)),
    ("dense", (kl.Dense,)),
)

HIDDEN = (
    kl.InputLayer,
    kl.Dropout,
    kl.SpatialDropout1D,
    kl.SpatialDropout2D,
    kl.GaussianNoise,
    kl.GaussianDropout,
    kl.AlphaDropout,
    kl.ActivityRegularization,
    kl.Identity,
)
"""Layers that are the identity at inference (or the input, which is shown as a preprocessing step)."""


@dataclass(frozen=True)
class LayerInfo:
    """One layer worth showing.

    Attributes
    ----------
    name : str
        The layer's name in the model (the key of its activation).
    kind : str
        A key of :data:`KINDS`, from the layer's type; ``"output"`` for the layer giving the classes,
        ``"flatten input"`` for a flatten layer that reads the model's input (a dense-only network).
    type : str
        The layer's class name, e.g. ``"Conv2D"``.
    shape : tuple of int
        Output shape without the batch axis.
    read : (int, int) or None
        For maps whose last rows or columns the next layer never reads (2x2
        pooling without padding of an odd-sized map drops the last row and
        column): how many rows and columns it reads. Those values get no
        training signal, so they can be anything; they are not shown as data.
    """

    name: str
    kind: str
    type: str
    shape: tuple[int, ...]
    read: tuple[int, int] | None = None

    @property
    def description(self) -> str:
        """What the layer does, in words."""
        return KINDS[self.kind]


def layer_output(layer: keras.layers.Layer) -> keras.KerasTensor:
    """A layer's output in the model that holds it.

    For a nested model, ``layer.output`` is its own inner output, not the output of
    its call in the outer graph: that one is the output of its (last) call node.
    """
    if isinstance(layer, keras.Model) and layer._inbound_nodes:
        return layer._inbound_nodes[-1].output_tensors[0]
    return layer.output


def layer_kind(layer: keras.layers.Layer) -> str:
    """The kind of a layer (a key of :data:`KINDS` other than ``"output"``), from its type."""
    return next((kind for kind, types in _BY_TYPE if isinstance(layer, types)), "other")


def describe_layers(model: keras.Model) -> list[LayerInfo]:
    """The layers of ``model`` worth showing, in order, the last being the output.

    Parameters
    ----------
    model : keras.Model
        A built single-output classifier (Sequential, functional or subclass with layers).

    Returns
    -------
    list of LayerInfo
        Every layer except the input and those that do nothing at inference
        (dropout, noise); the layer that gives the model's output has kind ``"output"``.
    """
    output = model.outputs[0]
    shown = [layer for layer in model.layers if not isinstance(layer, HIDDEN)]
    infos = []
    for layer in shown:
        kind = "output" if layer_output(layer) is output else layer_kind(layer)
        if kind == "flatten" and layer.input is model.inputs[0]:
            kind = "flatten input"
        shape = tuple(int(d) for d in layer_output(layer).shape[1:])
        infos.append(LayerInfo(layer.name, kind, type(layer).__name__, shape, _read_by_next(model, layer)))
    return infos


def _read_by_next(model: keras.Model, layer: keras.layers.Layer) -> tuple[int, int] | None:
    """Rows and columns of ``layer``'s maps that an unpadded 2-d pooling after it reads, if fewer than all."""
    if len(layer.output.shape) != 4:
        return None
    height, width = (int(d) for d in layer.output.shape[1:3])
    for pool in model.layers:
        if isinstance(pool, kl.MaxPooling2D | kl.AveragePooling2D) and pool.input is layer.output:
            if pool.padding != "valid" or pool.data_format != "channels_last":
                return None
            (ph, pw), (sh, sw) = pool.pool_size, pool.strides
            read = ((height - ph) // sh * sh + ph, (width - pw) // sw * sw + pw)
            return read if read != (height, width) else None
    return None
