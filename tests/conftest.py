"""Shared test setup: the tests folder is importable (for ``drawing``), TensorFlow stays quiet."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).parent))
