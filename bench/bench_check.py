"""Benchmark: how long ``recognizer.check_model`` takes to find a foreign model's convention.

    python bench/bench_check.py

Wraps the shipped letters CNN (0.73 M parameters) and digits CNN to expect dark ink on light in 0..255,
saves them without a card, and times the check (TensorFlow already started; the model load included).
Target (issue 10): at most 10 s for a 1 M-parameter model on 2 cores.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import keras

import recognizer


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for alphabet in ("digits", "letters"):
            rec = recognizer.load(alphabet)
            inputs = keras.Input((28, 28, 1))
            model = keras.Model(inputs, rec.model(keras.layers.Rescaling(-1 / 255, offset=1.0)(inputs)))
            path = Path(folder) / f"{alphabet}_inverted.keras"
            model.save(path)
            started = time.perf_counter()
            found = recognizer.check_model(path, alphabet).found
            seconds = time.perf_counter() - started
            print(
                f"{alphabet}: {model.count_params():,} parameters, check {seconds:.1f} s, "
                f"{found.accuracy:.1%} on {found.samples} probe drawings with {found.convention.describe()}"
            )


if __name__ == "__main__":
    main()
