"""Shared test setup: TensorFlow stays quiet (pyproject.toml puts the repo and tests/ on the path)."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
