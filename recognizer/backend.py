"""TensorFlow and Keras, imported once and quietly.

TensorFlow's C++ start-up prints lines before its logging can be configured
(``TF_CPP_MIN_LOG_LEVEL`` does not reach them): oneDNN notices, "Could not find
cuda drivers" and "failed call to cuInit: ... CUDA error" on a machine without
a GPU. Nothing is wrong then, so those lines are dropped; anything else
TensorFlow says while starting is passed on to stderr.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import cache

import numpy as np

__all__ = ["CORES", "STARTUP_NOISE", "keras", "quiet_stderr", "run_split", "tf"]

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# oneDNN's graph rewrites cost each Streamlit rerun's first forward pass ~20 ms (bench/bench_browser.py) and gain
# nothing on one 28x28 image. Training turns them back on (``python -m recognizer train``), where they pay off.
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations are on|Could not find cuda drivers"
    r"|failed call to cuInit|cpu_feature_guard|This TensorFlow binary is optimized|To enable the following instructions"
)
"""Lines TensorFlow prints at start-up on a healthy CPU-only machine."""


@contextmanager
def quiet_stderr(noise: re.Pattern[str] = STARTUP_NOISE) -> Iterator[None]:
    """Capture what C++ code writes to file descriptor 2 meanwhile, and pass on every line but ``noise``."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines(keepends=True):
                if not noise.search(line):
                    sys.stderr.write(line)


with quiet_stderr():
    import keras
    import tensorflow as tf

    tf.config.list_physical_devices()  # device discovery prints its notices now, while they are dropped

CORES = os.cpu_count() or 1


@cache
def _threads() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(CORES, thread_name_prefix="recognizer")


def run_split(run: Callable[[tf.Tensor], tf.Tensor], x: np.ndarray, least: int) -> np.ndarray:
    """``run(x)`` as numpy, a batch of at least ``2 * least`` inputs split across the cores, a part per thread.

    The app runs TensorFlow's operations on one thread (the fastest for one drawing,
    :func:`recognizer.inference.load`), so a batch that is split runs on every core:
    a row's 40 candidate characters score in 7 ms instead of 12 on 2 cores, and six
    views of a row in 6 ms instead of 11 (``least`` 8 and 3).

    Parameters
    ----------
    run : callable
        A ``tf.function`` from a batch tensor to a batch tensor.
    x : np.ndarray
        The batch, float32 (N, ...).
    least : int
        The fewest inputs worth a thread of their own.
    """
    parts = min(CORES, len(x) // max(least, 1))
    if parts < 2:
        return run(tf.constant(x)).numpy()
    return np.concatenate(list(_threads().map(lambda part: run(tf.constant(part)).numpy(), np.array_split(x, parts))))
