"""Benchmark: recognizer.load and rec.recognize on a 280x280 RGBA canvas drawing.

    python bench/bench_recognize.py [--repeat 300]

Prints, for every shipped model, the load time (TensorFlow already imported)
and the median and p95 of preprocessing + forward pass + all activations:
first with the background unknown (an upload), then as the Draw page calls it,
telling ``recognize`` the canvas is black. Targets (issue 2): load <= 1 s,
median <= 5 ms, p95 <= 10 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path[:0] = [str(Path(__file__).resolve().parent.parent), str(Path(__file__).resolve().parent.parent / "tests")]

from drawing import digit  # noqa: E402

import recognizer  # noqa: E402
import recognizer.backend  # noqa: E402  (TensorFlow as the app starts it, first: its 3.5 s are not load time)


def canvas_drawing(label: str = "5") -> np.ndarray:
    """A 280x280 RGBA drawing as the canvas returns it: white strokes on opaque black."""
    ink = digit(label)
    return np.dstack([ink] * 3 + [np.full(ink.shape, 255, np.uint8)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    image = canvas_drawing()
    for alphabet in recognizer.ALPHABETS.values():
        for name in alphabet.models:
            if not alphabet.model_path(name).exists():
                print(f"{alphabet.key}/{name}: no model file, skipped")
                continue
            start = time.perf_counter()
            rec = recognizer.load(alphabet.key, name)
            load = time.perf_counter() - start
            figures = []
            for background in (None, 0):
                for _ in range(20):  # warm caches
                    rec.recognize(image, background)
                times = []
                for _ in range(args.repeat):
                    start = time.perf_counter()
                    rec.recognize(image, background)
                    times.append(time.perf_counter() - start)
                ms = np.array(times) * 1000
                figures.append(f"median {np.median(ms):.2f} ms, p95 {np.percentile(ms, 95):.2f} ms")
            print(
                f"{alphabet.key}/{name}: load {load:.2f} s; recognize 280x280 RGBA ({args.repeat} runs): "
                f"{figures[0]}; background known: {figures[1]}"
            )


if __name__ == "__main__":
    main()
