"""Train on drawings people collected in the app: a custom alphabet from scratch, or a shipped one fine-tuned.

The drawings come from a database (:class:`recognizer.drawings.DrawingStore`) or an export file.
Each is rendered many times from its pen strokes (random pen width, size and place, as the
shipped models' UNIPEN data is) and augmented per batch: rotation up to 15 degrees either way,
shift, scale, stroke thickness. Validation holds out whole writers when there are several, else
a fifth of each label's drawings, and reads the saved pictures exactly as the app reads the canvas.

A shipped alphabet's model is fine-tuned from the shipped one with the users' drawings mixed
into a sample of its own training data (when that data is on this machine), and both are
measured on the users' held-out drawings.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import keras
import numpy as np

from .. import drawings as store
from ..alphabets import ALPHABETS, Alphabet
from ..card import ModelCard
from ..convention import MNIST
from ..metrics import evaluate_predictions
from ..modelfile import load_model, save_model
from ..paths import DEFAULT_DATA_DIR, USER_MODELS_DIR
from ..trainings import MIN_PER_LABEL
from . import datasets
from .architectures import build_cnn
from .augment import Augmentation
from .data import prepare
from .render import render_strokes
from .train import BATCH_SIZE, ProgressCallback, augmented_batches, rejection_figures

__all__ = [
    "AUGMENTATION",
    "Collected",
    "EpochLog",
    "load_collected",
    "split",
    "train_collected",
]

RENDERS = 60
"""Training renderings of each collected drawing, fewer when there are more than ``SAMPLES / RENDERS`` drawings."""
SAMPLES = 6000
"""Training renderings of the collected drawings in all, at most: a class's 100 drawings take 2 minutes."""
EPOCHS = {"scratch": 12, "fine-tune": 4}
LEARNING_RATE = {"scratch": 2e-3, "fine-tune": 3e-4}
BASE_SAMPLES = 6000
"""Samples of a shipped alphabet's own training data mixed in when fine-tuning (per source)."""
AUGMENTATION = Augmentation(rotation=15.0, shear=0.2, scale=(0.85, 1.15), translate=2.0, stroke=0.4, refit=0.5)
"""Rotation +-15 degrees as the runes article does, shift, scale and stroke thickness."""
VALIDATION_WRITERS = 0.25


@dataclass(frozen=True)
class Collected:
    """Collected drawings of one alphabet.

    Attributes
    ----------
    alphabet : Alphabet
        The alphabet they were drawn for.
    labels, writers : np.ndarray
        (N,) str: each drawing's label and writer.
    strokes : list of list of np.ndarray
        Each drawing's pen strokes, ``(n, 2)`` float32 (empty for an imported picture).
    pictures : list of np.ndarray
        Each drawing as saved, uint8 ``(H, W)``, white ink on black.
    """

    alphabet: Alphabet
    labels: np.ndarray
    writers: np.ndarray
    strokes: list[list[np.ndarray]]
    pictures: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.labels)

    def too_few(self) -> dict[str, int]:
        """Labels with fewer than :data:`MIN_PER_LABEL` drawings, and how many they have."""
        counts = {label: int(np.sum(self.labels == label)) for label in self.alphabet.labels}
        return {label: n for label, n in counts.items() if n < MIN_PER_LABEL}


def _picture(png: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    if image is None:
        raise ValueError("a saved drawing is not a readable PNG")
    return image


def load_collected(source: str | Path, alphabet: str) -> Collected:
    """The drawings of ``alphabet`` from a database URL, the app's own database
    (:data:`recognizer.drawings.APP_DATABASE`), or an export file (``.npz`` or ``.zip``).

    Raises
    ------
    ValueError
        Unknown alphabet, or a file that is not an export.
    recognizer.drawings.StoreError
        The database cannot be read.
    """
    text = store.database_url() if str(source) == store.APP_DATABASE else str(source)
    if "://" in text:
        db = store.DrawingStore(text)
        spec = db.alphabet(alphabet)
        if spec is None:
            raise ValueError(f"{text} has no alphabet {alphabet!r}")
        found = db.drawings(spec.key)[::-1]
        items = [(d.label, d.writer, list(d.strokes), d.png) for d in found]
    else:
        path = Path(source)
        items = [item[:4] for item in store.read_export(path.read_bytes(), path.name)]
        spec = ALPHABETS.get(alphabet) or _export_alphabet(items, alphabet)
        items = [item for item in items if item[0] in spec.labels]
    return Collected(
        spec,
        np.array([i[0] for i in items], dtype=str),
        np.array([i[1] for i in items], dtype=str),
        [i[2] for i in items],
        [_picture(i[3]) for i in items],
    )


def _export_alphabet(items: list, key: str) -> Alphabet:
    """A custom alphabet from an export's drawings: the labels found, in order of first appearance."""
    labels = list(dict.fromkeys(item[0] for item in items))
    return store.custom_alphabet(key.removeprefix("custom-").replace("-", " "), labels)


def split(collected: Collected, seed: int = 0) -> np.ndarray:
    """(N,) bool: the drawings held out for validation.

    Whole writers (about a quarter of the drawings) when there are several and every label keeps
    :data:`MIN_PER_LABEL` - 1 training drawings; otherwise a fifth of each label's drawings.
    """
    rng = np.random.default_rng(seed)
    writers = np.unique(collected.writers)
    if len(writers) > 1:
        held = np.zeros(len(collected), bool)
        for w in rng.permutation(writers):
            if held.mean() >= VALIDATION_WRITERS or held.mean() + np.mean(collected.writers == w) > 0.5:
                continue
            trial = held | (collected.writers == w)
            kept = [np.sum(~trial & (collected.labels == label)) for label in collected.alphabet.labels]
            if min(kept) >= MIN_PER_LABEL - 1:
                held = trial
        if held.any():
            return held
    held = np.zeros(len(collected), bool)
    for label in collected.alphabet.labels:
        idx = rng.permutation(np.flatnonzero(collected.labels == label))
        held[idx[: max(1, round(0.2 * len(idx)))] if len(idx) > 1 else []] = True
    return held


def _draw(item: tuple[list[np.ndarray], np.ndarray], rng: np.random.Generator) -> tuple[np.ndarray, float | None]:
    """One training rendering: from the strokes (random pen, size and place), else the saved picture with a
    thinner or thicker pen."""
    strokes, picture = item
    if strokes and rng.random() < 0.85:
        return render_strokes(strokes, rng), None
    size = int(rng.integers(1, 4)) * 2 + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    changed = cv2.dilate(picture, kernel) if rng.random() < 0.5 else cv2.erode(picture, kernel)
    return (changed if changed.max() > 0 else picture), 0.0


def _as_saved(item: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    return item, 0.0


class EpochLog(keras.callbacks.Callback):
    """Writes one JSON line per epoch (``epoch``, ``epochs``, ``loss``, ``accuracy``, ``val_loss``,
    ``val_accuracy``, ``seconds``) to a file, flushed at once, for the app's live chart."""

    def __init__(self, path: str | Path, epochs: int) -> None:
        super().__init__()
        self.path, self.epochs, self.started = Path(path), epochs, time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        record: dict[str, Any] = {"epoch": epoch + 1, "epochs": self.epochs}
        record |= {k: round(float(v), 5) for k, v in (logs or {}).items() if math.isfinite(float(v))}
        record["seconds"] = round(time.perf_counter() - self.started, 1)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")


def train_collected(
    collected: Collected,
    name: str,
    out: str | Path | None = None,
    fine_tune: bool | None = None,
    epochs: int | None = None,
    data_dir: str | Path = DEFAULT_DATA_DIR,
    seed: int = 0,
    on_progress: Callable[[float, str], None] | None = None,
    log: str | Path | None = None,
    command: str = "",
    samples: int = SAMPLES,
) -> ModelCard:
    """Train a CNN on collected drawings and write ``<alphabet>_<name>.keras`` and its card into ``out``.

    Parameters
    ----------
    collected : Collected
        The drawings (every label at least :data:`MIN_PER_LABEL` times).
    name : str
        The model's name, after the alphabet's key.
    out : str or Path, optional
        Folder to write to; default :data:`recognizer.paths.USER_MODELS_DIR`.
    fine_tune : bool, optional
        Start from the shipped model and mix in its own data; default: for shipped alphabets.
    epochs : int, optional
        Default ``EPOCHS["fine-tune" or "scratch"]``.
    data_dir : str or Path
        The shipped training data, mixed in when fine-tuning (left out when absent).
    log : str or Path, optional
        A file to append one JSON line per epoch to (:class:`EpochLog`).
    command : str
        The command line to record as the way to reproduce the model.
    samples : int
        Training renderings of the drawings in all, at most (each drawing 10 to :data:`RENDERS` times).

    Raises
    ------
    ValueError
        A label with too few drawings.
    """
    spec = collected.alphabet
    if too_few := collected.too_few():
        raise ValueError(
            f"Every label needs at least {MIN_PER_LABEL} drawings; "
            + ", ".join(f"{label!r} has {n}" for label, n in too_few.items())
            + "."
        )
    fine_tune = spec.key in ALPHABETS if fine_tune is None else fine_tune
    how = "fine-tune" if fine_tune else "scratch"
    epochs = epochs or EPOCHS[how]
    report = on_progress or (lambda fraction, message: None)
    started = time.perf_counter()
    keras.utils.set_random_seed(seed)

    held = split(collected, seed)
    y = np.array([spec.labels.index(label) for label in collected.labels], np.int32)
    train_idx, val_idx = np.flatnonzero(~held), np.flatnonzero(held)
    renders = max(10, min(RENDERS, math.ceil(samples / max(len(train_idx), 1))))
    report(0.0, f"rendering {len(train_idx)} drawings {renders} times each")
    items = [(collected.strokes[i], collected.pictures[i]) for i in train_idx for _ in range(renders)]
    train_set = prepare(items, np.repeat(y[train_idx], renders), seed, draw=_draw, workers=1)
    users_val = prepare([collected.pictures[i] for i in val_idx], y[val_idx], seed, draw=_as_saved, workers=1)

    path = Path(out or USER_MODELS_DIR) / f"{spec.key}_{name}.keras"
    base_card, sources = None, None
    if fine_tune:
        base_path = spec.model_path()
        net, base_card = load_model(base_path, spec)
        base_scores = net.predict(users_val.x[..., None], verbose=0) if len(users_val) else None
        if Path(data_dir).is_dir():
            report(0.0, f"mixing in {spec.noun} training data")
            sources = datasets.build(spec.key, data_dir, seed=seed, limit=BASE_SAMPLES)
            train_set = train_set + sources.train
    else:
        base_scores = None
        net = build_cnn(spec.num_classes, name=path.stem)
    steps = math.ceil(len(train_set) / BATCH_SIZE)
    schedule = keras.optimizers.schedules.CosineDecay(LEARNING_RATE[how], decay_steps=epochs * steps, alpha=0.05)
    net.compile(optimizer=keras.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks: list[keras.callbacks.Callback] = [ProgressCallback(report, epochs, steps)]
    if log is not None:
        callbacks.append(EpochLog(log, epochs))
    history = net.fit(
        augmented_batches(train_set, epochs, BATCH_SIZE, seed, AUGMENTATION),
        epochs=epochs,
        steps_per_epoch=steps,
        validation_data=(users_val.x[..., None], users_val.y) if len(users_val) else None,
        shuffle=False,  # the batches are shuffled already
        callbacks=callbacks,
        verbose=0,
    )
    seconds = time.perf_counter() - started

    validation = {}
    if len(users_val):
        scores = net.predict(users_val.x[..., None], verbose=0)[:, : spec.num_classes]
        validation["users_val"] = evaluate_predictions(users_val.y, scores.argmax(1), spec.labels).to_dict()
        if base_scores is not None:
            predicted = base_scores[:, : spec.num_classes].argmax(1)
            validation["shipped_users_val"] = evaluate_predictions(users_val.y, predicted, spec.labels).to_dict()
    for set_name, result in validation.items():
        report(1.0, f"{set_name}: accuracy {result['accuracy']:.2%} on {result['samples']} drawings")
    rejection = None
    if base_card is not None and base_card.rejection is not None and sources is not None:
        rejection = rejection_figures(spec.key, sources, lambda x: net.predict(x[..., None], verbose=0)[:, -1])
    elif base_card is not None and base_card.rejection is not None:  # kept, but not measured again
        rejection = replace(base_card.rejection, figures={})

    writers = np.unique(collected.writers)
    card = ModelCard(
        name=path.stem,
        alphabet=spec.key,
        labels=spec.labels,
        input=MNIST,
        architecture_name="cnn",
        names=spec.names,
        training_data={
            "collected": {
                "alphabet": spec.title,
                "drawings": len(collected),
                "writers": len(writers),
                "train_drawings": len(train_idx),
                "renders_per_drawing": renders,
                "validation": "whole writers held out"
                if len(np.unique(collected.writers[held])) < len(writers) and held.any()
                else "a fifth of each label's drawings held out",
                "validation_drawings": len(val_idx),
            },
            **({"mixed_in": sources.description} if sources is not None else {}),
            "train_samples": len(train_set),
            "fine_tuned_from": base_card.name if base_card else None,
        },
        augmentation=AUGMENTATION.describe(),
        training={
            "epochs": epochs,
            "batch_size": BATCH_SIZE,
            "optimizer": f"Adam, cosine decay from {LEARNING_RATE[how]}",
            "seconds": round(seconds, 1),
            "seed": seed,
            "history": {k: [round(float(v), 5) for v in vs] for k, vs in history.history.items()},
        },
        command=command,
        validation=validation,
        rejection=rejection,
    )
    card = save_model(net, path, card)
    report(1.0, f"wrote {path} in {seconds:.0f} s")
    return card
