"""Where things are: the repository, its models and the training data, and how model files are named.

Relative paths given on the command line resolve against the repository, not the
working directory, so ``python -m recognizer train --out models`` writes to the
same folder from anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "DEFAULT_DATA_DIR",
    "MODELS_DIR",
    "ROOT",
    "STATIC_DIR",
    "USER_DATA_DIR",
    "USER_MODELS_DIR",
    "in_repo",
    "model_file",
]

ROOT = Path(__file__).resolve().parent.parent
"""The repository."""
MODELS_DIR = ROOT / "models"
"""Where the shipped ``<alphabet>_<model>.keras`` files and their model cards live."""
STATIC_DIR = ROOT / "static"
"""Files the app serves as they are (the rune font)."""
DEFAULT_DATA_DIR = ROOT.parent / "shared" / "data"
"""The training data, beside the repository and never part of it."""
USER_DATA_DIR = Path(os.environ.get("HANDWRITING_LAB_DATA") or Path.home() / ".handwriting-lab").expanduser()
"""What users make: collected drawings (``drawings.db``), models trained in the app and their logs.
Set ``HANDWRITING_LAB_DATA`` to keep them elsewhere."""
USER_MODELS_DIR = USER_DATA_DIR / "models"
"""Models trained in the app on collected drawings, with their cards."""


def in_repo(path: str | Path) -> Path:
    """``path`` itself when absolute, else resolved against the repository."""
    path = Path(path)
    return path if path.is_absolute() else ROOT / path


def model_file(alphabet: str, model: str, folder: str | Path | None = None) -> Path:
    """The file of model ``model`` (an architecture name such as ``"cnn"``) for ``alphabet``.

    >>> model_file("digits", "cnn").relative_to(ROOT).as_posix()
    'models/digits_cnn.keras'
    """
    return Path(MODELS_DIR if folder is None else folder) / f"{alphabet}_{model}.keras"
