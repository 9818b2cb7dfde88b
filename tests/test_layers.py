"""Layer kinds come from the layer's type, never its name, for functional and Sequential models alike."""

from __future__ import annotations

import keras
import pytest
from keras import layers as kl

from recognizer.layers import KINDS, LayerInfo, describe_layers, layer_kind


def misleadingly_named() -> keras.Model:
    """A small CNN whose layer names all lie about what the layers are."""
    inputs = keras.Input((28, 28, 1), name="conv_input")
    x = kl.Conv2D(4, 3, name="dense_thing")(inputs)
    x = kl.BatchNormalization(name="pool")(x)
    x = kl.Activation("relu", name="flatten")(x)
    x = kl.MaxPooling2D(name="batchnorm")(x)
    x = kl.Dropout(0.5, name="output")(x)
    x = kl.Flatten(name="relu")(x)
    x = kl.Dense(8, name="conv")(x)
    x = kl.GaussianNoise(0.1, name="softmax")(x)
    return keras.Model(inputs, kl.Dense(10, activation="softmax", name="logits_xyz")(x))


def test_kinds_come_from_types_not_names() -> None:
    shown = [(info.name, info.kind, info.type) for info in describe_layers(misleadingly_named())]
    assert shown == [
        ("dense_thing", "convolution", "Conv2D"),
        ("pool", "normalisation", "BatchNormalization"),
        ("flatten", "activation", "Activation"),
        ("batchnorm", "pooling", "MaxPooling2D"),
        ("relu", "flatten", "Flatten"),
        ("conv", "dense", "Dense"),
        ("logits_xyz", "output", "Dense"),
    ], "input, dropout and noise are hidden; the last layer is the output"


def test_shapes_are_the_outputs_without_batch_axis() -> None:
    shapes = {info.name: info.shape for info in describe_layers(misleadingly_named())}
    assert shapes["dense_thing"] == (26, 26, 4)
    assert shapes["batchnorm"] == (13, 13, 4)
    assert shapes["relu"] == (13 * 13 * 4,)
    assert shapes["logits_xyz"] == (10,)


def test_a_sequential_model() -> None:
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), kl.Conv2D(2, 3), kl.Flatten(), kl.Dropout(0.2), kl.Dense(10, activation="softmax")]
    )
    infos = describe_layers(model)
    assert [info.kind for info in infos] == ["convolution", "flatten", "output"]
    # What Recognizer does with the layers: a probe model from the first input (Keras 3: Sequential.input fails).
    probe = keras.Model(model.inputs[0], [model.get_layer(info.name).output for info in infos])
    assert [tuple(out.shape[1:]) for out in probe.outputs] == [info.shape for info in infos]


def test_a_separate_softmax_activation_is_the_output() -> None:
    inputs = keras.Input((784,))
    logits = kl.Dense(10, name="logits")(kl.Dense(32, activation="relu", name="hidden")(inputs))
    model = keras.Model(inputs, kl.Activation("softmax", name="probs")(logits))
    assert [(info.name, info.kind) for info in describe_layers(model)] == [
        ("hidden", "dense"),
        ("logits", "dense"),
        ("probs", "output"),
    ]


@pytest.mark.parametrize(
    ("layer", "kind"),
    [
        (kl.DepthwiseConv2D(3), "convolution"),
        (kl.SeparableConv2D(4, 3), "convolution"),
        (kl.GlobalAveragePooling2D(), "pooling"),
        (kl.LayerNormalization(), "normalisation"),
        (kl.Rescaling(1 / 255), "normalisation"),
        (kl.ReLU(), "activation"),
        (kl.Softmax(), "activation"),
        (kl.Reshape((784,)), "reshape"),
        (kl.Add(), "merge"),
        (kl.Concatenate(), "merge"),
        (keras.Sequential([kl.Dense(2)]), "model"),
        (kl.Lambda(lambda x: x), "other"),
        (kl.ZeroPadding2D(), "other"),
    ],
    ids=lambda v: type(v).__name__ if isinstance(v, kl.Layer) else None,
)
def test_layer_kind_by_type(layer: kl.Layer, kind: str) -> None:
    assert layer_kind(layer) == kind


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_described(kind: str) -> None:
    description = LayerInfo("x", kind, "Layer", (1,)).description
    assert isinstance(description, str) and description.strip()


def test_kinds_are_described_differently() -> None:
    assert len(set(KINDS.values())) == len(KINDS)


def test_the_edge_an_unpadded_pooling_never_reads_is_known() -> None:
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(2, 3, padding="same", name="seven")(keras.layers.MaxPooling2D(4)(inputs))
    x = keras.layers.MaxPooling2D(2, name="pool")(x)  # 7 x 7 -> 3 x 3 reads rows and columns 0..5
    x = keras.layers.Conv2D(2, 3, padding="same", name="three")(x)
    x = keras.layers.MaxPooling2D(2, padding="same")(x)  # padded: reads everything
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x))
    read = {info.name: info.read for info in describe_layers(keras.Model(inputs, outputs))}
    assert read["seven"] == (6, 6)
    assert read["three"] is None and read["pool"] is None
