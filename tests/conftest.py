"""Shared test setup: TensorFlow stays quiet (pyproject.toml puts the repo and tests/ on the path), what users
make goes to a throwaway folder, and the small training-data folder the training tests share."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# Drawings and models trained in the app (recognizer.paths.USER_DATA_DIR) never touch the tester's own.
os.environ["HANDWRITING_LAB_DATA"] = tempfile.mkdtemp(prefix="handwriting-lab-tests-")
atexit.register(shutil.rmtree, os.environ["HANDWRITING_LAB_DATA"], ignore_errors=True)
os.environ.pop("HANDWRITING_LAB_DATABASE", None)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder like ``../shared/data``: synthetic MNIST, and UNIPEN strokes by 24 writers."""
    from fixtures import write_mnist_npz, write_unipen_npz

    folder = tmp_path_factory.mktemp("data")
    write_mnist_npz(folder / "mnist.npz")
    write_unipen_npz(folder / "unipen_dev.npz", writers=24)
    return folder
