"""Small data files and tiny models the tests make themselves (data in the formats of ``shared/data``)."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
from drawing import DIGITS, digit

from recognizer.preprocess import preprocess

LETTER_STROKES = {
    "A": [[(0.1, 0.95), (0.5, 0.05), (0.9, 0.95)], [(0.28, 0.6), (0.72, 0.6)]],
    "a": [[(0.8, 0.4), (0.5, 0.3), (0.2, 0.6), (0.5, 0.9), (0.8, 0.6)], [(0.8, 0.3), (0.8, 0.95)]],
    "L": [[(0.2, 0.05), (0.2, 0.95), (0.8, 0.95)]],
    "x": [[(0.1, 0.1), (0.9, 0.9)], [(0.9, 0.1), (0.1, 0.9)]],
}


def mnist_like(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` synthetic digits in the MNIST format: uint8 (n, 28, 28) white on black, labels uint8 (n,)."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 10
    images = np.stack(
        [
            np.rint(
                preprocess(digit(str(d), width=int(rng.integers(10, 30)), scale=rng.uniform(0.5, 0.8))).model_input
                * 255
            ).astype(np.uint8)
            for d in labels
        ]
    )
    return images, labels.astype(np.uint8)


def write_mnist_npz(path: Path, n_train: int = 120, n_test: int = 40) -> Path:
    (x_train, y_train), (x_test, y_test) = mnist_like(n_train, 0), mnist_like(n_test, 1)
    np.savez_compressed(path, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    return path


def write_idx(path: Path, array: np.ndarray, gz: bool = True) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    data = header + array.astype(np.uint8).tobytes()
    (gzip.open if gz else open)(path, "wb").write(data)


def write_unipen_npz(path: Path, writers: int = 20, seed: int = 0) -> Path:
    """A UNIPEN-format file: every writer writes each digit and a few letters once, with jittered strokes.

    Every fourth writer is from the first institution that training holds out (``datasets.OTHER_PLACES``).
    """
    from recognizer.training.datasets import OTHER_PLACES

    rng = np.random.default_rng(seed)
    strokes_of = {**DIGITS, **LETTER_STROKES}
    labels, writer, source, n_strokes, stroke_len, points = [], [], [], [], [], []
    for w in range(writers):
        for label, strokes in strokes_of.items():
            labels.append(label)
            writer.append(f"fix/data/w{w:02d}.dat")
            source.append(OTHER_PLACES[0] if w % 4 == 0 else "fix")
            n_strokes.append(len(strokes))
            for stroke in strokes:
                p = np.asarray(stroke) * 300 + rng.normal(0, 6, (len(stroke), 2)) + [1000, -500]
                stroke_len.append(len(p))
                points.append(p)
    np.savez_compressed(
        path,
        labels=np.array(labels),
        writer=np.array(writer),
        source=np.array(source),
        n_strokes=np.array(n_strokes, np.int32),
        stroke_len=np.array(stroke_len, np.int32),
        points=np.concatenate(points).astype(np.float32),
    )
    return path


def none_biased_model(bias: float):
    """A digits model with 11 outputs, the last "none of these", whose logit is ``bias`` above the digits' (all 0)."""
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(11, "softmax")])
    kernel, biases = model.layers[-1].get_weights()
    biases[10] = bias
    model.layers[-1].set_weights([np.zeros_like(kernel), biases])
    return model


def without_none(model):
    """A shipped CNN without its "none of these" output: one output per label, as models from elsewhere have.

    Its softmax over the labels' logits gives their probabilities renormalised without "none of these".
    """
    import keras

    output = model.get_layer("output")
    kernel, bias = output.get_weights()
    head = keras.layers.Dense(kernel.shape[1] - 1, activation="softmax", name="labels")
    labels = keras.Model(model.inputs, head(output.input))
    head.set_weights([kernel[:, :-1], bias[:-1]])
    return labels


SHAPES = {"circle": [[(0.5 + 0.35 * np.cos(a), 0.5 + 0.35 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 25)]],
          "cross": [[(0.15, 0.15), (0.85, 0.85)], [(0.85, 0.15), (0.15, 0.85)]],
          "bar": [[(0.5, 0.1), (0.5, 0.9)]]}  # fmt: skip
"""A custom alphabet's labels and how each is drawn (unit box, y down)."""


def collect(store, alphabet, writers: list[str], per_label: int, seed: int = 0) -> None:
    """Save ``per_label`` drawings of every label of ``alphabet`` (its labels: keys of :data:`SHAPES` or digits)
    by each writer, placed and sized a little differently each time, as the Collect page saves them."""
    from drawing import DIGITS

    from recognizer.drawings import render_png

    rng = np.random.default_rng(seed)
    for writer in writers:
        for label in alphabet.labels:
            for _ in range(per_label):
                size, centre = rng.uniform(150, 230), rng.uniform(110, 170, 2)
                shapes = SHAPES.get(label) or DIGITS[label]
                strokes = [((np.asarray(s) - 0.5) * size + centre).astype(np.float32) for s in shapes]
                store.add(alphabet.key, label, writer, strokes, render_png(strokes))
