"""Train a model for an alphabet and write it with its card.

Reads top to bottom: data, model, augmented ``tf.data`` pipeline, fit,
validation on unseen writers, model file and card.
"""

from __future__ import annotations

import dataclasses
import math
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from ..alphabets import Alphabet, get_alphabet
from ..backend import keras, tf
from ..card import ModelCard, Rejection
from ..convention import MNIST
from ..metrics import evaluate_predictions
from ..modelfile import load_model, save_model
from ..paths import DEFAULT_DATA_DIR, MODELS_DIR, ROOT, model_file
from ..preprocess import MODEL_SIZE
from ..reading import METHOD_MODELS, ROW_SHAPE, ROW_SLOTS, ctc_decode
from . import datasets, rows
from .architectures import (
    BUILDERS,
    SEQUENCE_STRIDE,
    build_cnn,
    build_row_cnn,
    build_sequence_cnn,
    copy_weights,
    fold_batch_norm,
)
from .augment import Augmentation, augment
from .data import Dataset

__all__ = [
    "DEFAULT_EPOCHS",
    "RECIPES",
    "ROW_EPOCHS",
    "ROW_NETWORKS",
    "ProgressCallback",
    "Recipe",
    "ctc_loss",
    "measure",
    "measure_rows",
    "print_progress",
    "remeasure",
    "row_slots",
    "smoothed_crossentropy",
    "train",
    "train_rows",
]

DEFAULT_EPOCHS = {"cnn": 15, "mlp": 20}
BATCH_SIZE = 128
LEARNING_RATE = {"cnn": 2e-3, "mlp": 1e-3}


@dataclass(frozen=True)
class Recipe:
    """How an alphabet's models are trained where it differs from the defaults.

    Attributes
    ----------
    cnn : dict
        Keyword arguments of :func:`build_cnn`: block sizes, dense units, batch normalisation.
    augmentation : Augmentation
        Ranges and probabilities of the training-time transforms.
    label_smoothing : float
        Weight of the uniform distribution mixed into the targets, against noisy labels.
    """

    cnn: dict[str, Any] = field(default_factory=dict)
    augmentation: Augmentation = field(default_factory=Augmentation)
    label_smoothing: float = 0.0


RECIPES = {
    "letters": Recipe(
        cnn={"blocks": ((32,), (64, 64), (128, 128)), "dense": 384, "batch_norm": True},
        augmentation=Augmentation(refit=0.8),
        label_smoothing=0.1,
    ),
}
"""Letters need more than digits and runes: 26 classes in two cases each, and a few percent of wrong labels."""

REJECT_AT = 0.5
"""A drawing is "none of these" when that output's probability is at least this (fixed, not tuned on validation)."""
REJECTION_TARGETS: dict[str, dict[str, tuple[str, float]]] = {
    "digits": {
        "mnist_test": ("at most", 0.01),
        "unipen_places_val": ("at most", 0.01),
        "unipen_val": ("at most", 0.01),
        "negatives_val": ("at most", 0.05),
        "foreign_val": ("at least", 0.85),
    },
    "letters": {
        "unipen_places_val": ("at most", 0.02),
        "unipen_val": ("at most", 0.02),
        "negatives_val": ("at most", 0.05),
    },
    "runes": {
        "templates_val": ("at most", 0.02),
        "unseen_font_val": ("at most", 0.02),
        "negatives_val": ("at most", 0.05),
    },
}
"""Per alphabet and validation set: real characters of unseen writers rejected at most 1% (digits) or 2%
(letters; runes likewise), generated negatives accepted at most 5%, letters unlike digits drawn on the
digits alphabet rejected at least 85% (issue 11)."""


Progress = Callable[[float, str], None]
"""``on_progress(fraction_done, message)``: fraction in [0, 1]."""


class ProgressCallback(keras.callbacks.Callback):
    """Reports training progress as ``on_progress(fraction, message)``, e.g. to a progress bar or a terminal."""

    def __init__(self, on_progress: Progress, epochs: int, steps: int, every: int = 20) -> None:
        super().__init__()
        self.on_progress, self.epochs, self.steps, self.every = on_progress, epochs, steps, every
        self.epoch = 0

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        self.epoch = epoch

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        if batch % self.every == 0:
            done = (self.epoch * self.steps + batch + 1) / (self.epochs * self.steps)
            loss = (logs or {}).get("loss", float("nan"))
            self.on_progress(
                done, f"epoch {self.epoch + 1}/{self.epochs}, batch {batch + 1}/{self.steps}, loss {loss:.4f}"
            )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        parts = [f"{k} {v:.4f}" for k, v in logs.items() if k in ("loss", "accuracy", "val_loss", "val_accuracy")]
        self.on_progress((epoch + 1) / self.epochs, f"epoch {epoch + 1}/{self.epochs} done: " + ", ".join(parts))


def augmented_batches(data: Dataset, epochs: int, batch_size: int, seed: int, aug: Augmentation) -> tf.data.Dataset:
    """A ``tf.data`` pipeline of augmented, shuffled batches for ``epochs`` epochs.

    Batch ``i`` depends only on (seed, epoch, i), so the pipeline is
    deterministic although two batches are prepared in parallel.
    """
    n = len(data)
    steps = math.ceil(n / batch_size)

    @lru_cache(maxsize=2)
    def order(epoch: int) -> np.ndarray:
        return np.random.default_rng([seed, epoch]).permutation(n)

    def make_batch(i: np.int64) -> tuple[np.ndarray, np.ndarray]:
        epoch, b = divmod(int(i), steps)
        idx = np.sort(order(epoch)[b * batch_size : (b + 1) * batch_size])
        x = augment(data.x[idx], np.random.default_rng([seed, epoch, b]), aug)
        return x[..., None], data.y[idx]

    def set_shapes(x: tf.Tensor, y: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        x.set_shape((None, MODEL_SIZE, MODEL_SIZE, 1))
        y.set_shape((None,))
        return x, y

    return (
        tf.data.Dataset.range(epochs * steps)
        .map(lambda i: tf.numpy_function(make_batch, [i], (tf.float32, tf.int32)), num_parallel_calls=2)
        .map(set_shapes)
        .prefetch(4)
    )


def smoothed_crossentropy(smoothing: float) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """Cross-entropy of class indices against targets ``(1 - smoothing) * one_hot + smoothing / num_classes``.

    That is ``(1 - smoothing) * CE + smoothing * mean over classes of -log p``;
    Keras's sparse cross-entropy has no label smoothing of its own.
    """

    def loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        uniform = -keras.ops.mean(keras.ops.log(keras.ops.clip(y_pred, 1e-7, 1.0)), axis=-1)
        return (1 - smoothing) * keras.losses.sparse_categorical_crossentropy(y_true, y_pred) + smoothing * uniform

    return loss


def rejection_figures(
    alphabet: str, sources: datasets.Sources, none_probability: Callable[[np.ndarray], np.ndarray]
) -> Rejection:
    """How often real characters are rejected and negatives accepted, on every validation set.

    Parameters
    ----------
    alphabet : str
        The alphabet's key (for the targets).
    sources : Sources
        Validation sets of characters and of negatives.
    none_probability : callable
        ``(N, 28, 28) canonical images -> (N,)`` probability of "none of these".
    """
    targets = REJECTION_TARGETS.get(alphabet, {})

    def figure(name: str, rejected: np.ndarray, negative: bool, **breakdown: dict | None) -> dict:
        rate = float(np.mean(~rejected if negative else rejected)) if len(rejected) else 0.0
        out: dict = {"rate": round(rate, 5), "samples": len(rejected)}
        if name in targets:
            out["wanted"], out["target"] = targets[name]
        return out | {key: value for key, value in breakdown.items() if value}

    figures = {}
    for name, data in sources.validation.items():
        rejected = none_probability(data.x) >= REJECT_AT
        groups = _group_slices(sources.groups.get(name, {}))
        by_group = {group: figure(group, rejected[part], negative=False) for group, part in groups.items()}
        figures[name] = figure(name, rejected, negative=False, by_group=by_group)
    for name, kinds in sources.negatives.items():
        rejected = {kind: none_probability(data.x) >= REJECT_AT for kind, data in kinds.items() if len(data)}
        by_kind = (
            {k: figure(k, r, negative=name == "negatives_val") for k, r in rejected.items()}
            if len(rejected) > 1
            else None
        )
        figures[name] = figure(name, np.concatenate(list(rejected.values())), name == "negatives_val", by_kind=by_kind)
    return Rejection(output=get_alphabet(alphabet).num_classes, threshold=REJECT_AT, figures=figures)


def _code_version() -> str | None:
    """The git commit the training code was at (``+changes`` when the working tree differed), or None."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no", "--", "recognizer")
    except (OSError, subprocess.SubprocessError):
        return None
    return (commit + ("+changes" if changed else "")) or None


def _run_record(seed: int, limit: int | None, seconds: float, code: str | None, history: Any) -> dict[str, Any]:
    """How a training run went, for its card: seed, limit, time, machine, code, versions and history."""
    return {
        "seed": seed,
        "limit": limit,
        "seconds": round(seconds, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "code": code,
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__},
        "history": {k: [round(float(v), 5) for v in vals] for k, vals in history.history.items()},
    }


def _group_slices(groups: dict[str, int]) -> dict[str, slice]:
    """Where each group of consecutive samples is (``groups``: name -> count, none empty)."""
    ends = np.cumsum(list(groups.values()), dtype=int)
    return {name: slice(int(end) - n, int(end)) for (name, n), end in zip(groups.items(), ends, strict=True)}


def _group_accuracies(right: np.ndarray, groups: dict[str, int]) -> dict[str, dict[str, float]]:
    """Accuracy of each group of consecutive samples (``groups``: name -> count, none empty), with its count."""
    return {
        name: {"accuracy": round(float(right[part].mean()), 5), "samples": part.stop - part.start}
        for name, part in _group_slices(groups).items()
    }


def print_progress(fraction: float, message: str) -> None:
    print(f"[{fraction:6.1%}] {message}", flush=True)


def measure(
    spec: Alphabet, sources: datasets.Sources, scores: Callable[[np.ndarray], np.ndarray], report: Progress
) -> tuple[dict[str, dict], Rejection]:
    """Every figure of a model's card: accuracy on each validation set (and group), and how well it rejects.

    ``scores`` maps (N, 28, 28) canonical images to (N, labels + 1) probabilities, "none of these" last.
    """
    validation = {}
    for set_name, data in sources.validation.items():
        predicted = scores(data.x)[:, : spec.num_classes].argmax(axis=1)  # the best real class, as top_k shows
        result = validation[set_name] = evaluate_predictions(data.y, predicted, spec.labels).to_dict()
        if groups := sources.groups.get(set_name):
            result["by_group"] = _group_accuracies(data.y == predicted, groups)
        report(1.0, f"{set_name}: accuracy {result['accuracy']:.2%} on {result['samples']} samples")
    rejection = rejection_figures(spec.key, sources, lambda x: scores(x)[:, spec.num_classes])
    for set_name, f in rejection.figures.items():
        what = "accepted" if set_name == "negatives_val" else "rejected"
        report(1.0, f"{set_name}: {what} {f['rate']:.2%} of {f['samples']}")
    return validation, rejection


def remeasure(
    alphabet: str, model: str | None = None, data_dir: str | Path = DEFAULT_DATA_DIR, report: Progress = print_progress
) -> ModelCard:
    """Measure a shipped model again on today's validation sets and write the figures into its card.

    ``model`` is a shipped model's name (default: the alphabet's first), its row model's
    included. The validation and rejection figures are replaced, the validation sets'
    description updated, and ``training.remeasured`` records when and with which code; how
    the model was trained stays as recorded.
    """
    from ..inference import load
    from ..reading import row_model

    if model in get_alphabet(alphabet).row_models:
        reader = row_model(alphabet, model)
        old, path, rejection = reader.card, model_file(alphabet, model), None
        sources = rows.build_rows(data_dir, train=False)
        validation = measure_rows(sources, lambda x: row_slots(reader.positions(x), model), report)
    else:
        rec = load(alphabet, model)
        old, path = rec.card, rec.path
        sources = datasets.build(rec.alphabet.key, data_dir, train=False)

        def scores(x: np.ndarray) -> np.ndarray:
            found = [rec.score_inputs(rec.convention.apply(x[i : i + 512])) for i in range(0, len(x), 512)]
            return np.concatenate([np.column_stack([f.probabilities, f.none]) for f in found])

        validation, rejection = measure(rec.alphabet, sources, scores, report)
    training_only = ("train", "renders")  # how the model was trained stays; how it is measured is today's
    merged = {
        source: old.training_data[source] | {k: v for k, v in found.items() if not k.startswith(training_only)}
        for source, found in sources.description.items()
        if isinstance(found, dict) and isinstance(old.training_data.get(source), dict)
    }
    card = dataclasses.replace(
        old,
        validation=validation,
        rejection=rejection,
        training_data=old.training_data | merged,
        training=old.training | {"remeasured": {"date": time.strftime("%Y-%m-%d"), "code": _code_version()}},
    )
    report(1.0, f"wrote {card.write(path)}")
    return card


def train(
    alphabet: str,
    model: str = "cnn",
    data_dir: str | Path = DEFAULT_DATA_DIR,
    epochs: int | None = None,
    out: str | Path = MODELS_DIR,
    seed: int = 0,
    limit: int | None = None,
    on_progress: Progress | None = print_progress,
    command: str | None = None,
) -> ModelCard:
    """Train ``model`` ("cnn" or "mlp") for ``alphabet`` and write its model file and card into ``out``.

    Parameters
    ----------
    alphabet : str
        ``"digits"``, ``"letters"`` or ``"runes"``.
    model : str
        Architecture: ``"cnn"`` or ``"mlp"``.
    data_dir : str or Path
        Folder with the training data files.
    epochs : int, optional
        Default: ``DEFAULT_EPOCHS[model]``.
    out : str or Path
        Folder to write the model to.
    seed : int
        Seed of everything random: data rendering, shuffling, augmentation, weights.
    limit : int, optional
        Cap on samples per source, for quick runs.
    on_progress : callable, optional
        ``on_progress(fraction, message)``, called while training.
    command : str, optional
        The command line to record as the way to reproduce the model.

    Returns
    -------
    ModelCard
        The card written beside the model.
    """
    if model not in BUILDERS:
        raise ValueError(f"unknown architecture {model!r}; expected one of {', '.join(BUILDERS)}")
    spec = get_alphabet(alphabet)
    epochs = epochs or DEFAULT_EPOCHS[model]
    report = on_progress or (lambda fraction, message: None)
    started, code = time.perf_counter(), _code_version()

    report(0.0, f"rendering and preprocessing {spec.noun} training data")
    sources = datasets.build(spec.key, data_dir, seed=seed, limit=limit)
    report(
        0.0,
        f"{len(sources.train)} training samples; validation: "
        + ", ".join(f"{k} {len(v)}" for k, v in sources.validation.items()),
    )

    path = model_file(spec.key, model, out)
    name = path.stem
    recipe = RECIPES.get(spec.key, Recipe())
    options = recipe.cnn if model == "cnn" else {}
    keras.utils.set_random_seed(seed)
    outputs = spec.num_classes + 1  # the alphabet's labels and "none of these"
    net = BUILDERS[model](outputs, name=name, **options)
    steps = math.ceil(len(sources.train) / BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE[model], decay_steps=epochs * steps, alpha=0.02)
    loss = "sparse_categorical_crossentropy"
    if recipe.label_smoothing:
        loss = smoothed_crossentropy(recipe.label_smoothing)
    net.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=["accuracy"])

    aug = recipe.augmentation
    main_val = next(iter(sources.validation.values()))
    history = net.fit(
        augmented_batches(sources.train, epochs, BATCH_SIZE, seed, aug),
        epochs=epochs,
        steps_per_epoch=steps,
        validation_data=(main_val.x[..., None], main_val.y),
        shuffle=False,  # the batches are shuffled already
        callbacks=[ProgressCallback(report, epochs, steps)] if on_progress else [],
        verbose=0,
    )
    if options.get("batch_norm"):
        net = fold_batch_norm(net, build_cnn(outputs, name=name, **(options | {"batch_norm": False})))
    train_seconds = time.perf_counter() - started
    validation, rejection = measure(
        spec, sources, lambda x: net.predict(x[..., None], batch_size=512, verbose=0), report
    )
    card = ModelCard(
        name=name,
        alphabet=spec.key,
        labels=spec.labels,
        input=MNIST,
        architecture_name=model,
        names=spec.names,
        training_data={"folder": str(data_dir), **sources.description, "train_samples": len(sources.train)},
        augmentation=aug.describe(),
        training={
            "epochs": epochs,
            "batch_size": BATCH_SIZE,
            "optimizer": f"Adam, cosine decay from {LEARNING_RATE[model]}",
            "label_smoothing": recipe.label_smoothing,
            "batch_norm": "folded into the convolutions after training" if options.get("batch_norm") else None,
            **_run_record(seed, limit, train_seconds, code, history),
        },
        command=command
        or f"python -m recognizer train --alphabet {spec.key} --model {model} --epochs {epochs} --seed {seed}",
        validation=validation,
        rejection=rejection,
    )
    card = save_model(net, path, card)
    report(1.0, f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) in {train_seconds:.0f} s")
    return card


ROW_EPOCHS = {"row": 6, "sequence": 5}


def measure_rows(
    sources: rows.RowSources, read_slots: Callable[[np.ndarray], np.ndarray], report: Progress
) -> dict[str, dict]:
    """Every figure of a row model's card: whole-row and per-digit accuracy on each validation set.

    ``read_slots`` maps (N, 28, 140) rows to (N, ROW_SLOTS) label indices as
    :func:`rows.row_labels` writes them: a row read right has every slot right.
    """
    validation = {}
    for name, data in sources.validation.items():
        right = read_slots(data.x) == data.y
        validation[name] = figures = {
            "samples": len(data),
            "accuracy": round(float(right.all(axis=1).mean()), 5),
            "digit_accuracy": round(float(right[data.y != rows.NO_DIGIT].mean()), 5),
        }
        report(1.0, f"{name}: rows {figures['accuracy']:.2%}, digits {figures['digit_accuracy']:.2%} of {len(data)}")
    return validation


def row_slots(outputs: np.ndarray, model: str) -> np.ndarray:
    """A row model's outputs, (N, positions, labels + 1), as (N, ROW_SLOTS) labels as :func:`rows.row_labels` has them.

    The multi-head network's heads are the slots. The sequence network's characters
    fill them left to right; a row it reads as more than :data:`ROW_SLOTS` characters
    gets -1 in every slot: all wrong.
    """
    if model != "sequence":
        return outputs.argmax(axis=-1)
    slots = np.full((len(outputs), ROW_SLOTS), -1, np.int32)
    for i, steps in enumerate(outputs):
        labels = [label for label, *_ in ctc_decode(steps)]
        if len(labels) <= ROW_SLOTS:
            slots[i] = rows.row_labels(labels)
    return slots


def ctc_loss(blank: int) -> Callable[[tf.Tensor, tf.Tensor], tf.Tensor]:
    """CTC loss of probabilities (not logits) against label rows padded with ``blank``, the "nothing" class."""

    def loss(y_true: tf.Tensor, y_pred: tf.Tensor) -> tf.Tensor:
        y_true = keras.ops.cast(y_true, "int32")
        lengths = keras.ops.sum(keras.ops.cast(y_true != blank, "int32"), axis=-1)
        steps = keras.ops.full((keras.ops.shape(y_pred)[0],), keras.ops.shape(y_pred)[1], "int32")
        return keras.ops.ctc_loss(y_true, keras.ops.log(y_pred + 1e-7), lengths, steps, mask_index=blank)

    return loss


ROW_NETWORKS = {model: method for method, model in METHOD_MODELS.items()}
"""The row models :func:`train_rows` trains, by file name (``digits_<name>.keras``): the method that reads with
each, which is also its architecture's name in the card."""


def train_rows(
    data_dir: str | Path = DEFAULT_DATA_DIR,
    epochs: int | None = None,
    out: str | Path = MODELS_DIR,
    seed: int = 0,
    limit: int | None = None,
    on_progress: Progress | None = print_progress,
    model: str = "row",
) -> ModelCard:
    """Train a network that reads a row of digits at once; write ``digits_<model>.keras`` and its card.

    ``model`` is ``"row"``, the multi-head network (a head per position, up to five
    digits), or ``"sequence"``, the sequence network (a reading every 4 columns,
    trained with CTC). Either starts from the layers of the shipped digits CNN that
    fit it, when it is there (:func:`~recognizer.training.architectures.copy_weights`):
    the convolutions, and for the multi-head network also the dense layer and classifier.
    Other parameters are those of :func:`train`; ``epochs`` defaults to :data:`ROW_EPOCHS`.
    The card's validation figures are whole-row accuracy (``accuracy``) and per-digit
    accuracy (``digit_accuracy``).
    """
    spec = get_alphabet("digits")
    epochs = epochs or ROW_EPOCHS[model]
    report = on_progress or (lambda fraction, message: None)
    started, code = time.perf_counter(), _code_version()
    report(0.0, "rendering rows of digits")
    sources = rows.build_rows(data_dir, seed=seed, limit=limit)
    report(
        0.0,
        f"{len(sources.train)} training rows; validation: "
        + ", ".join(f"{k} {len(v)}" for k, v in sources.validation.items()),
    )
    path = model_file(spec.key, model, out)
    keras.utils.set_random_seed(seed)
    classes = spec.num_classes + 1
    if model == "sequence":
        net = build_sequence_cnn(ROW_SHAPE[1], classes, name=path.stem)
        loss, metrics, what = ctc_loss(rows.NO_DIGIT), [], f"a reading every {SEQUENCE_STRIDE} columns, CTC"
    else:
        net = build_row_cnn(ROW_SLOTS, classes, name=path.stem)
        loss, metrics, what = "sparse_categorical_crossentropy", ["accuracy"], f"{ROW_SLOTS} heads"
    base = spec.model_path()  # the single-digit network: its convolutions are where the row network starts
    copied = copy_weights(load_model(base, spec)[0], net) if base.exists() else []
    started_from = f"the layers {', '.join(copied)} of {base.name}" if copied else "random weights"
    report(0.0, f"starting from {started_from}")
    steps = math.ceil(len(sources.train) / BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE["cnn"], decay_steps=epochs * steps, alpha=0.02)
    net.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=metrics)
    batches = (
        tf.data.Dataset.from_tensor_slices((sources.train.x[..., None], sources.train.y))
        .shuffle(len(sources.train), seed=seed, reshuffle_each_iteration=True)
        .batch(BATCH_SIZE)
        .prefetch(2)
    )
    monitor = sources.validation["mnist_rows_test"]
    history = net.fit(
        batches,
        epochs=epochs,
        validation_data=(monitor.x[..., None], monitor.y),
        shuffle=False,  # the batches are shuffled already
        callbacks=[ProgressCallback(report, epochs, steps)] if on_progress else [],
        verbose=0,
    )
    train_seconds = time.perf_counter() - started
    outputs = lambda x: net.predict(x[..., None], batch_size=256, verbose=0)  # noqa: E731
    validation = measure_rows(sources, lambda x: row_slots(outputs(x), model), report)
    card = ModelCard(
        name=path.stem,
        alphabet=spec.key,
        labels=spec.labels,
        input=MNIST,
        architecture_name=ROW_NETWORKS[model],
        names=spec.names,
        training_data={"folder": str(data_dir), **sources.description, "train_samples": len(sources.train)},
        augmentation={
            "library": "none at training time: each row is drawn once, with its own pen, size, slant, spacing, "
            "baseline and paper (recognizer.training.rows)"
        },
        training={
            "epochs": epochs,
            "batch_size": BATCH_SIZE,
            "optimizer": f"Adam, cosine decay from {LEARNING_RATE['cnn']}",
            "input": f"rows scaled into {ROW_SHAPE[0]} x {ROW_SHAPE[1]} by recognizer.reading.row_input; "
            f"{what} of {spec.num_classes} digits and 'no digit'",
            "started_from": started_from,
            **_run_record(seed, limit, train_seconds, code, history),
        },
        command=f"python -m recognizer train --alphabet digits --model {model} --epochs {epochs}",
        validation=validation,
    )
    card = save_model(net, path, card)
    report(1.0, f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB) in {train_seconds:.0f} s")
    return card
