"""Why this and not that: which parts of the model input a class's probability rests on.

Two views that fail differently, so they are shown side by side:

* **occlusion sensitivity** (Zeiler and Fergus, 2014): cover one patch of the
  input at a time and see how much the class's probability drops. It needs only
  forward passes, so it works for any model; its inputs go through the network
  in the same batch as everything else on the page (:func:`occlusion_inputs`,
  :func:`occlusion_maps`).
* **Grad-CAM** (Selvaraju et al., 2017): the last convolution's maps, each
  weighted by how much the class's score rises with it (:class:`GradCam`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from .backend import keras, tf
from .layers import LayerInfo, layer_output

__all__ = ["PATCH", "STRIDE", "GradCam", "Occlusion", "occlusion_inputs", "occlusion_maps"]

PATCH, STRIDE = 6, 2
"""Occlusion patch side and step in model-input pixels: 12 x 12 positions on 28 x 28."""


@dataclass(frozen=True)
class Occlusion:
    """Inputs with one patch covered, and where each patch is.

    Attributes
    ----------
    inputs : np.ndarray
        (M, H, W) float32: the canonical image with patch m set to the background (0).
    patches : np.ndarray
        (M, H, W) bool: the pixels patch m covers.
    """

    inputs: np.ndarray
    patches: np.ndarray


def occlusion_inputs(canonical: np.ndarray, patch: int = PATCH, stride: int = STRIDE) -> Occlusion:
    """The canonical image with each patch in turn covered by background.

    Parameters
    ----------
    canonical : np.ndarray
        (H, W) float32 in [0, 1], light ink on dark.
    patch, stride : int
        Patch side and step, in pixels.

    Returns
    -------
    Occlusion
        M = ceil((H - patch) / stride + 1) * ceil((W - patch) / stride + 1) covered copies.

    Examples
    --------
    >>> occ = occlusion_inputs(np.ones((28, 28), np.float32))
    >>> occ.inputs.shape, int(occ.patches[0].sum()), float(occ.inputs[0, 0, 0]), float(occ.inputs[0, 27, 27])
    ((144, 28, 28), 36, 0.0, 1.0)
    """
    h, w = canonical.shape
    ys = range(0, max(h - patch, 0) + 1, stride)
    xs = range(0, max(w - patch, 0) + 1, stride)
    patches = np.zeros((len(ys) * len(xs), h, w), bool)
    for m, (y, x) in enumerate((y, x) for y in ys for x in xs):
        patches[m, y : y + patch, x : x + patch] = True
    inputs = np.where(patches, np.float32(0), canonical[None]).astype(np.float32)
    return Occlusion(inputs, patches)


def occlusion_maps(occlusion: Occlusion, reference: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """How much covering each pixel lowers each class's probability, averaged over the patches that cover it.

    Parameters
    ----------
    occlusion : Occlusion
        From :func:`occlusion_inputs`.
    reference : np.ndarray
        (K,) scores (probabilities or log-probabilities) of the classes of interest for the uncovered input.
    covered : np.ndarray
        (M, K) the same scores with patch m covered.

    Returns
    -------
    np.ndarray
        (K, H, W) float32: positive where the class needs the ink, negative where it does better without.
    """
    drop = np.asarray(reference, np.float32)[None, :] - np.asarray(covered, np.float32)  # (M, K)
    patches = occlusion.patches.astype(np.float32)
    total = np.einsum("mk,mhw->khw", drop, patches)
    count = np.maximum(patches.sum(axis=0), 1.0)
    return (total / count[None]).astype(np.float32)


class GradCam:
    """Grad-CAM on a classifier's last convolution, or nothing for a model without one.

    Built once per model (a traced ``tf.function``); call it per drawing.

    Parameters
    ----------
    model : keras.Model
        The classifier.
    layers : list of LayerInfo
        Its shown layers (:func:`recognizer.layers.describe_layers`); the last
        convolution with 2-d maps is used.
    outputs : str
        ``"probabilities"`` or ``"logits"``: the model's output (see :class:`recognizer.card.ModelCard`).
    """

    def __init__(self, model: keras.Model, layers: list[LayerInfo], outputs: str = "probabilities") -> None:
        convs = [info for info in layers if info.kind == "convolution" and len(info.shape) == 3]
        self.layer: LayerInfo | None = convs[-1] if convs else None
        if self.layer is None:
            return
        out_layer = model.get_layer(layers[-1].name)
        conv = model.get_layer(self.layer.name)
        channels_first = getattr(conv, "data_format", "channels_last") == "channels_first"
        head = [out_layer.input] if isinstance(out_layer, keras.layers.Dense) else []
        probe = keras.Model(model.inputs, [layer_output(conv), model.outputs[0], *head])

        def scores(x: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
            """(maps, class scores before the softmax): a softmax saturates, its gradient vanishes when sure."""
            maps, out, *rest = probe(x, training=False)
            if channels_first:
                maps = tf.transpose(maps, [0, 2, 3, 1])
            if rest and out_layer.activation is keras.activations.softmax:  # Dense(softmax): its logits
                return maps, tf.matmul(rest[0], out_layer.kernel) + out_layer.bias
            return maps, out if outputs == "logits" else tf.math.log(tf.maximum(out, 1e-12))

        def cam(x: tf.Tensor, classes: tf.Tensor) -> tf.Tensor:
            batch = tf.repeat(x, tf.shape(classes)[0], axis=0)
            with tf.GradientTape() as tape:
                tape.watch(batch)
                maps, logits = scores(batch)
                picked = tf.reduce_sum(logits * tf.one_hot(classes, tf.shape(logits)[1]), axis=1)
            grads = tape.gradient(picked, maps)
            weights = tf.reduce_mean(grads, axis=(1, 2), keepdims=True)
            return tf.nn.relu(tf.reduce_sum(weights * maps, axis=-1))

        spec = tf.TensorSpec((1, *model.inputs[0].shape[1:]), tf.float32)
        self._cam = tf.function(cam, input_signature=[spec, tf.TensorSpec((None,), tf.int32)])

    def __call__(self, model_input: np.ndarray, outputs: list[int], size: tuple[int, int]) -> np.ndarray | None:
        """Grad-CAM maps of some model outputs for one input, enlarged to the canonical image.

        Parameters
        ----------
        model_input : np.ndarray
            The model's input for one drawing (the convention's shape, no batch axis).
        outputs : list of int
            Model output indices (classes) to explain.
        size : (int, int)
            (H, W) of the canonical image the maps are laid over.

        Returns
        -------
        np.ndarray or None
            (K, H, W) float32 in [0, 1], each map scaled to its own maximum (zeros
            where the class has no positive evidence); None without a convolution.
        """
        if self.layer is None:
            return None
        x = tf.constant(np.asarray(model_input, np.float32)[None])
        maps = self._cam(x, tf.constant(outputs, tf.int32)).numpy()
        if self.layer.read is not None:  # rows and columns the next layer never reads carry no evidence
            rows, cols = self.layer.read
            maps[:, rows:, :], maps[:, :, cols:] = 0, 0
        enlarged = np.stack([cv2.resize(m, (size[1], size[0]), interpolation=cv2.INTER_LINEAR) for m in maps])
        peak = enlarged.max(axis=(1, 2), keepdims=True)
        return np.where(peak > 0, enlarged / np.maximum(peak, 1e-12), 0).astype(np.float32)
