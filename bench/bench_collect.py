"""A class's own alphabet: 5 labels x 20 drawings, trained as the app trains it; its time and its accuracy.

    python bench/bench_collect.py [--labels aeiou] [--writers 4] [--per-label 20]

Real handwriting stands in for a class: UNIPEN writers who wrote every label many
times. Each writer "collects" an equal share of the 20 drawings per label, drawn
onto a 280 x 280 canvas with the app's pen and saved through the drawings database;
``python -m recognizer train --drawings`` then trains from scratch in its own process,
exactly as the app's Train page starts it. Measured: the wall time of that process,
and accuracy on new drawings of the same writers (every other drawing they made of
those labels), read as the app reads the canvas.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recognizer
from recognizer.drawings import DrawingStore, render_png
from recognizer.imageio import decode_image
from recognizer.paths import DEFAULT_DATA_DIR
from recognizer.training import datasets
from recognizer.training.data import load_unipen

CANVAS = 280


def on_canvas(strokes: list[np.ndarray]) -> list[np.ndarray]:
    """Strokes in tablet units placed on the app's canvas as a person draws: about 200 px tall, centred."""
    pts = np.concatenate(strokes)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    scale = 200 / max(float((hi - lo).max()), 1e-6)
    offset = (CANVAS - (hi - lo) * scale) / 2
    return [((s - lo) * scale + offset).astype(np.float32) for s in strokes]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", default="aeiou")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--per-label", type=int, default=20)
    args = parser.parse_args()
    labels = list(args.labels)
    unipen = load_unipen(DEFAULT_DATA_DIR / datasets.UNIPEN_FILE)
    counts = Counter(zip(unipen.writers, unipen.labels, strict=True))
    share = args.per_label // args.writers
    writers = sorted(w for w in set(unipen.writers) if all(counts[(w, label)] >= share + 5 for label in labels))
    writers = writers[: args.writers]
    if len(writers) < args.writers:
        sys.exit(f"only {len(writers)} writers wrote every one of {args.labels} {share + 5} times")

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/drawings.db"
        db = DrawingStore(url)
        alphabet = db.define("Bench " + args.labels, labels)
        new: list[tuple[str, np.ndarray]] = []
        for w in writers:
            for label in labels:
                index = np.flatnonzero((unipen.writers == w) & (unipen.labels == label))
                for k, i in enumerate(index):
                    strokes = on_canvas(unipen.subset([i])[0])
                    png = render_png(strokes)
                    if k < share:
                        db.add(alphabet.key, label, w, strokes, png)
                    else:
                        new.append((label, decode_image(png, "new.png")))
        out = Path(folder) / "models"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "recognizer", "train", "--alphabet", alphabet.key, "--drawings", url,
             "--name", "bench", "--out", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        seconds = time.perf_counter() - started
        rec = recognizer.load(alphabet, out / f"{alphabet.key}_bench.keras")
        right = [rec.recognize(image, background=0).top_k[0][0] == label for label, image in new]
        card = rec.card
    print(
        f"{len(labels)} labels x {args.per_label} drawings by {len(writers)} writers: trained in {seconds:.0f} s"
        f" (the process, TensorFlow's start included)"
    )
    print(f"held-out drawings in training: {card.accuracies.get('users_val')}")
    print(f"new drawings of the same writers: {np.mean(right):.1%} of {len(right)}")


if __name__ == "__main__":
    main()
