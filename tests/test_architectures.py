"""The networks training builds: layer names the app shows, and batch norm folded away after training."""

from __future__ import annotations

import numpy as np

from recognizer.training.architectures import build_cnn, fold_batch_norm


def test_cnn_layers_are_named_by_block() -> None:
    net = build_cnn(26, blocks=((8,), (16, 16), (32, 32)), dense=64)
    assert [layer.name for layer in net.layers] == [
        "input",
        *("conv1", "pool1", "conv2a", "conv2b", "pool2", "conv3a", "conv3b", "pool3"),
        *("flatten", "dropout1", "dense", "dropout2", "output"),
    ]
    assert net.get_layer("conv3b").filters == 32 and net.get_layer("dense").units == 64
    assert net.outputs[0].shape[-1] == 26


def test_batch_norm_folds_into_the_convolutions() -> None:
    sizes = {"blocks": ((4,), (8, 8)), "dense": 16}
    trained = build_cnn(3, batch_norm=True, **sizes)
    rng = np.random.default_rng(0)
    for layer in trained.layers:  # statistics a training run could have left
        if layer.name.startswith("bn"):
            n = layer.get_weights()[0].shape[0]
            gamma, beta, mean, variance = (
                rng.uniform(0.5, 2, n),
                rng.normal(0, 1, n),
                rng.normal(0, 1, n),
                rng.uniform(0.5, 2, n),
            )
            layer.set_weights([gamma, beta, mean, variance])
    plain = fold_batch_norm(trained, build_cnn(3, **sizes))
    x = rng.uniform(0, 1, (4, 28, 28, 1)).astype(np.float32)
    np.testing.assert_allclose(plain(x, training=False), trained(x, training=False), atol=1e-5)
    assert [layer.name for layer in plain.layers] == [layer.name for layer in build_cnn(3, **sizes).layers]
