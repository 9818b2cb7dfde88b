"""Benchmark: reading rows of five digits, every method, for accuracy and speed.

    python bench/bench_read.py [--rows 500] [--methods segment,multihead,window] [--seed 1] [--model M]

Rows are five digits by one UNIPEN writer, written with one pen at varied size and
spacing (neighbours may touch) on a canvas or on paper (``recognizer.training.rows``):
writers from the institutions training holds out (``datasets.OTHER_PLACES``), and
unseen writers of the training institutions. Also MNIST test digits pasted into
28 x 140 exactly as the seeds' question does. Prints whole-row and per-digit
accuracy, how often the count of characters is wrong, and the median and p95 time
of ``rec.read``. Targets (issue 12): rows 95% and digits 99% with the default
method; median at most 30 ms for segmentation, at most 60 ms for any method.

First, as the ceiling of reading a character at a time, the same rows cut perfectly:
each digit drawn alone where it is, with the same pen on the same paper
(``rows.render_cut_row``; MNIST: its tiles), read by the single-character model.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import recognizer
from recognizer.paths import DEFAULT_DATA_DIR
from recognizer.reading import METHODS
from recognizer.training import datasets, rows
from recognizer.training.data import load_mnist, load_unipen


def test_rows(count: int, seed: int) -> dict[str, list[tuple[np.ndarray, str, float | None, list[np.ndarray]]]]:
    """Named sets of (image, true text, background, the row cut perfectly) rows."""
    rng = np.random.default_rng(seed)
    unipen = load_unipen(DEFAULT_DATA_DIR / datasets.UNIPEN_FILE)
    parts = datasets.unipen_parts(unipen)
    sets = {}
    for name, part in (("other places", "other places"), ("unseen writers", "validation")):
        picked = rows.five_digit_rows(unipen, parts[part], count, rng)
        sets[name] = []
        for r in picked:
            image, cut = rows.render_cut_row([unipen.strokes(int(i)) for i in r], rng)
            sets[name].append((image, "".join(unipen.labels[r]), None, cut))
    _, (x_test, y_test) = load_mnist(datasets.mnist_source(DEFAULT_DATA_DIR))
    sets["MNIST 28x140"] = [
        (rows.mnist_row(x_test[i : i + 5]), "".join(map(str, y_test[i : i + 5])), 0.0, list(x_test[i : i + 5]))
        for i in range(0, 5 * count, 5)
    ]
    return sets


def best(result: recognizer.Result) -> str:
    """The label the single-character model reads best ("?" on a blank)."""
    return result.top_k[0][0] if result.top_k else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500, help="rows per set")
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--model", help="the single-character model: a shipped name or a .keras path")
    args = parser.parse_args()
    rec = recognizer.load("digits", args.model)
    sets = test_rows(args.rows, args.seed)
    print(f"{'set':16} {'method':10} {'rows':>7} {'digits':>7} {'count off':>9} {'median':>8} {'p95':>8}")
    for name, items in sets.items():
        right = [
            sum(best(rec.recognize(c, background)) == label for c, label in zip(cut, truth, strict=True))
            for _, truth, background, cut in items
        ]
        n = len(items)
        print(f"{name:16} {'cut':10} {right.count(5) / n:7.2%} {sum(right) / (5 * n):7.2%}", flush=True)
    for method in args.methods.split(","):
        rec.read(sets["other places"][0][0], method)  # warm up
        for name, items in sets.items():
            times, right_rows, right_digits, count_off = [], 0, 0, 0
            for image, truth, background, _ in items:
                start = time.perf_counter()
                text = rec.read(image, method, background).text
                times.append(time.perf_counter() - start)
                right_rows += text == truth
                right_digits += sum(a == b for a, b in zip(text, truth, strict=False)) if len(text) == 5 else 0
                count_off += len(text) != len(truth)
            n = len(items)
            print(
                f"{name:16} {method:10} {right_rows / n:7.2%} {right_digits / (5 * n):7.2%} {count_off / n:9.1%}"
                f" {np.median(times) * 1e3:6.1f}ms {np.percentile(times, 95) * 1e3:6.1f}ms",
                flush=True,
            )


if __name__ == "__main__":
    main()
